import Foundation
import Synchronization

/// A token bucket per key (client address): `rate` tokens a second, up to `burst`.
final class RateLimiter: Sendable {
    private struct Bucket { var tokens: Double; var updated: Double }
    private let buckets = Mutex<[String: Bucket]>([:])
    let rate: Double
    let burst: Double

    init(rate: Double, burst: Double) {
        self.rate = rate
        self.burst = max(burst, rate, 1)
    }

    /// nil when allowed; otherwise the seconds to wait before `cost` tokens are available
    /// (a cost above the burst waits for a full bucket and then takes it).
    func acquire(_ key: String, cost: Double = 1, now: Double = ProcessInfo.processInfo.systemUptime) -> Double? {
        let cost = min(cost, burst)
        return buckets.withLock { buckets in
            if buckets.count > 100_000 { buckets.removeAll() }
            var bucket = refilled(buckets[key], now: now)
            defer { buckets[key] = bucket }
            if bucket.tokens >= cost {
                bucket.tokens -= cost
                return nil
            }
            return (cost - bucket.tokens) / rate
        }
    }

    /// All or nothing, for a request that spends on several keys (a batch across sites): the
    /// costs are taken only when every key has its own; otherwise nothing is taken and the
    /// answer is the first key, by name, that lacks it and its wait.
    func acquire(_ costs: [String: Double], now: Double = ProcessInfo.processInfo.systemUptime) -> (key: String, wait: Double)? {
        buckets.withLock { buckets in
            if buckets.count > 100_000 { buckets.removeAll() }
            var taken: [(String, Bucket)] = []
            for (key, cost) in costs.sorted(by: { $0.key < $1.key }) {
                var bucket = refilled(buckets[key], now: now)
                let cost = min(cost, burst)
                guard bucket.tokens >= cost else { return (key, (cost - bucket.tokens) / rate) }
                bucket.tokens -= cost
                taken.append((key, bucket))
            }
            for (key, bucket) in taken { buckets[key] = bucket }
            return nil
        }
    }

    /// The bucket topped up for the time since it was last seen (a new one is full).
    private func refilled(_ bucket: Bucket?, now: Double) -> Bucket {
        guard let bucket else { return Bucket(tokens: burst, updated: now) }
        return Bucket(tokens: min(burst, bucket.tokens + (now - bucket.updated) * rate), updated: now)
    }
}
