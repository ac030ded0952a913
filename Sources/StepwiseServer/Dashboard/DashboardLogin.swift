import Foundation
import Hummingbird

/// `GET/POST /login` and `POST /logout`: the admin token, typed once into a form, becomes a
/// signed session cookie. Both forms carry a CSRF token: the login's is a random value doubled
/// in a cookie (there is no session yet), the logout's is bound to the session.
struct DashboardLogin: Sendable {
    let admin: AdminCheck
    var session: DashboardSession? { admin.session }

    func addRoutes(to router: Router<StepwiseRequestContext>) {
        router.get("/login") { request, _ in
            guard self.session != nil else { return Self.redirect("/") }
            return self.form(next: Self.safeNext(request.uri.queryParameters.get("next")), error: nil, status: .ok)
        }
        router.post("/login") { request, _ in
            guard let session = self.session, let adminToken = self.admin.token else { return Self.redirect("/") }
            let fields = try await Self.form(request)
            let next = Self.safeNext(fields["next"])
            guard let cookie = request.cookies[DashboardSession.loginCSRFCookie]?.value else {
                // Browsers keep Secure cookies only over HTTPS and on localhost: say so rather than loop.
                return self.form(next: next, error: "Your browser did not return the sign-in cookie: the form came from another site, "
                    + "or the dashboard is served over plain HTTP on a host other than localhost (put it behind HTTPS).", status: .forbidden)
            }
            guard let sent = fields["csrf"], constantTimeEqual(cookie, sent) else {
                return self.form(next: next, error: "The form expired or came from another site; sign in again.", status: .forbidden)
            }
            guard let token = fields["token"], constantTimeEqual(token, adminToken) else {
                return self.form(next: next, error: "token: that is not the admin token.", status: .unauthorized)
            }
            var response = Self.redirect(next)
            response.setCookie(DashboardSession.cookie(name: DashboardSession.cookieName, value: session.newSession(),
                                                       maxAge: Int(DashboardSession.lifetime)))
            response.setCookie(DashboardSession.cookie(name: DashboardSession.loginCSRFCookie, value: "", maxAge: 0))
            return response
        }
        router.post("/logout") { request, _ in
            guard let session = self.session else { return Self.redirect("/") }
            let fields = try await Self.form(request)
            guard let current = session.session(of: request), let sent = fields["csrf"], constantTimeEqual(sent, session.csrf(for: current)) else {
                throw HTTPError(.forbidden, message: "sign-out needs the form's CSRF token")
            }
            var response = Self.redirect("/login")
            response.setCookie(DashboardSession.cookie(name: DashboardSession.cookieName, value: "", maxAge: 0))
            return response
        }
    }

    func form(next: String, error: String?, status: HTTPResponse.Status) -> Response {
        var bytes = [UInt8](repeating: 0, count: 16)
        var generator = SystemRandomNumberGenerator()
        for k in bytes.indices { bytes[k] = generator.next() }
        let csrf = bytes.map { String(format: "%02x", $0) }.joined()
        let body = (error.map { "<p class=\"alert\" role=\"alert\">\(escape($0))</p>" } ?? "")
            + "<form method=\"post\" action=\"/login\" class=\"filters\"><input type=\"hidden\" name=\"csrf\" value=\"\(csrf)\">"
            + "<input type=\"hidden\" name=\"next\" value=\"\(escape(next))\">"
            + "<label>Admin token<input type=\"password\" name=\"token\" autocomplete=\"current-password\" required autofocus></label>"
            + "<button class=\"primary\" type=\"submit\">Sign in</button></form>"
            + "<p class=\"muted\">The token is the server's <code>--admin-token</code> (or <code>STEPWISE_ADMIN_TOKEN</code>).</p>"
        var response = Dashboard.html(DashboardLayout.page(title: "Sign in", state: nil, sites: [], access: .open, body: body),
                                      status: status, since: .now)
        response.setCookie(DashboardSession.cookie(name: DashboardSession.loginCSRFCookie, value: csrf, maxAge: 3600))
        return response
    }

    static func redirectToLogin(_ request: Request) -> Response {
        let next = request.uri.path + (request.uri.query.map { "?\($0)" } ?? "")
        return redirect(DashboardState.url("/login", [("next", next)]))
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }

    /// Only a path on this server: never `//other.example` or a full URL (an open redirect).
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.hasPrefix("/\\"),
              !next.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else { return "/" }
        return next
    }

    /// An `application/x-www-form-urlencoded` body of at most 8 KiB.
    static func form(_ request: Request) async throws -> [String: String] {
        let buffer: ByteBuffer
        do { buffer = try await request.body.collect(upTo: 8 << 10) } catch {
            throw HTTPError(.contentTooLarge, message: "a form is at most 8 KiB")
        }
        var fields: [String: String] = [:]
        for pair in String(buffer: buffer).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String { text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            guard let key = parts.first else { continue }
            fields[decode(key)] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return fields
    }
}
