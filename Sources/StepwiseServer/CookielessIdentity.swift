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
    /// The day's salt, the same on every node that shares the store (the embedded database, or
    /// ClickHouse when scaled out).
    private let salts: @Sendable (_ day: String) async throws -> Data
    private let salt = Mutex<(day: String, value: Data)?>(nil)

    init(store: EventStore) { salts = { day in try store.dailySalt(day: day) } }

    init(salts: @escaping @Sendable (_ day: String) async throws -> Data) { self.salts = salts }

    /// The salt of the day `now` falls in, fetched once a day.
    func salt(now: Int64) async throws -> Data {
        let day = Timestamp.formatDay(now)
        if let cached = salt.withLock({ $0 }), cached.day == day { return cached.value }
        let value = try await salts(day)
        salt.withLock { $0 = (day, value) }
        return value
    }

    func visitor(site: String, clientIP: String, userAgent: String?, now: Int64) async throws -> String {
        visitor(site: site, clientIP: clientIP, userAgent: userAgent, salt: try await salt(now: now))
    }

    func visitor(site: String, clientIP: String, userAgent: String?, salt: Data) -> String {
        var hasher = SHA256()
        hasher.update(data: salt)
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
