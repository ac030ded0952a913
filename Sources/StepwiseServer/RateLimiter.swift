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
            var bucket = buckets[key] ?? Bucket(tokens: burst, updated: now)
            bucket.tokens = min(burst, bucket.tokens + (now - bucket.updated) * rate)
            bucket.updated = now
            defer { buckets[key] = bucket }
            if bucket.tokens >= cost {
                bucket.tokens -= cost
                return nil
            }
            return (cost - bucket.tokens) / rate
        }
    }
}
