import Crypto
import Foundation
import Hummingbird

/// Signed, stateless dashboard credentials derived from the admin token: a login session
/// cookie, its CSRF token, and a read-only share key per site. Changing the admin token
/// signs everyone out and revokes every shared link; nothing is stored server-side.
struct DashboardSession: Sendable {
    static let cookieName = "stepwise_session"
    static let loginCSRFCookie = "stepwise_login_csrf"
    static let lifetime: TimeInterval = 12 * 3600

    private let key: [UInt8]

    init(adminToken: String) {
        // A key of its own, so a leaked session cookie says nothing about the token itself.
        key = Array(SHA256.hash(data: Data("stepwise-dashboard|\(adminToken)".utf8)))
    }

    func mac(_ message: String) -> String {
        HMAC<SHA256>.authenticationCode(for: Data(message.utf8), using: SymmetricKey(data: key)).map { String(format: "%02x", $0) }.joined()
    }

    /// `EXPIRY.MAC`, valid until EXPIRY (Unix seconds).
    func newSession(now: Date = Date()) -> String {
        let expiry = Int64(now.addingTimeInterval(Self.lifetime).timeIntervalSince1970)
        return "\(expiry).\(mac("session|\(expiry)"))"
    }

    func isValid(session value: String, now: Date = Date()) -> Bool {
        let parts = value.split(separator: ".", maxSplits: 1)
        guard parts.count == 2, let expiry = Int64(parts[0]), Double(expiry) > now.timeIntervalSince1970 else { return false }
        return constantTimeEqual(String(parts[1]), mac("session|\(expiry)"))
    }

    /// The CSRF token of a session's forms: bound to the session, so it cannot be replayed by
    /// another browser and needs no storage.
    func csrf(for session: String) -> String { mac("csrf|\(session)") }

    /// The key of a site's read-only shared link.
    func shareKey(site: String) -> String { String(mac("share|\(site)").prefix(32)) }

    func isValid(shareKey: String, site: String) -> Bool { constantTimeEqual(shareKey, self.shareKey(site: site)) }

    /// The session cookie of a request, when it is valid.
    func session(of request: Request) -> String? {
        guard let value = request.cookies[Self.cookieName]?.value, isValid(session: value) else { return nil }
        return value
    }

    /// HttpOnly (no script reads it), Secure (browsers treat 127.0.0.1 and localhost as secure),
    /// SameSite=Strict (never sent on a request another site starts).
    static func cookie(name: String, value: String, maxAge: Int) -> Cookie {
        Cookie(name: name, value: value, maxAge: maxAge, path: "/", secure: true, httpOnly: true, sameSite: .strict)
    }
}
