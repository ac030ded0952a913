import Crypto
import Foundation
import StepwiseCore
import StepwiseStorage
import Synchronization

/// Visitor ids for events sent without one (the tracker's cookieless mode): a truncated
/// SHA-256 of (the day's salt, site, client IP, user agent). The salt rotates at midnight UTC
/// and yesterday's is deleted, so a visitor is one id for a day and cannot be followed
/// across days; the IP is hashed in memory and never written anywhere.
public final class CookielessIdentity: Sendable {
    private let store: EventStore
    private let salt = Mutex<(day: String, value: Data)?>(nil)

    init(store: EventStore) { self.store = store }

    func visitor(site: String, clientIP: String, userAgent: String?, now: Int64) throws -> String {
        let day = Timestamp.formatDay(now)
        let current = try salt.withLock { cached -> Data in
            if let cached, cached.day == day { return cached.value }
            let value = try store.dailySalt(day: day)
            cached = (day, value)
            return value
        }
        var hasher = SHA256()
        hasher.update(data: current)
        for part in [site, clientIP, userAgent ?? ""] {
            hasher.update(data: Data(part.utf8))
            hasher.update(data: Data([0]))
        }
        return "c" + hasher.finalize().prefix(10).map { String(format: "%02x", $0) }.joined()
    }

    /// The address a request came from: the peer, or, when the peer is a trusted proxy, the
    /// nearest address in `X-Forwarded-For` that is not itself a trusted proxy.
    public static func clientAddress(peer: String, forwardedFor: String?, trusted: NetworkList) -> String {
        guard trusted.contains(peer), let forwardedFor else { return peer }
        let hops = forwardedFor.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return hops.reversed().first { !trusted.contains($0) } ?? hops.first ?? peer
    }
}
