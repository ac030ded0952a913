import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import StepwiseCore
import StepwiseServer

/// The dashboard's access rules and output safety over real HTTP: sign-in, cookie flags, CSRF,
/// shared links, and attacker-controlled strings that must come out as text.
@Suite struct DashboardTests {
    static func cookie(_ response: TestResponse, _ name: String) -> String? {
        response.headers[values: .setCookie].first { $0.hasPrefix("\(name)=") }
    }

    static func value(of setCookie: String?) -> String {
        String(setCookie?.split(separator: ";")[0].split(separator: "=", maxSplits: 1).last ?? "")
    }

    static func form(_ fields: [(String, String)]) -> ByteBuffer {
        body(fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&"))
    }

    static let formType: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]

    @Test func signingInSetsAnHttpOnlySecureStrictCookieBehindCSRF() async throws {
        let fixture = try ServerFixture()
        try await fixture.run({ $0.adminToken = "admin" }) { client in
            try await LeadsEndpointTests().seed(client, plan: LeadsEndpointTests.plan())
            let away = try await client.execute(uri: "/sites/shop.example/leads?segment=device%3Ddesktop", method: .get)
            #expect(away.status == .seeOther && away.headers[.location] == "/login?next=%2Fsites%2Fshop.example%2Fleads%3Fsegment%3Ddevice%253Ddesktop")

            let login = try await client.execute(uri: "/login", method: .get)
            let csrfCookie = try #require(Self.cookie(login, "stepwise_login_csrf"))
            let csrf = Self.value(of: csrfCookie)
            #expect(csrf.count == 32 && String(buffer: login.body).contains("value=\"\(csrf)\""))
            var headers = Self.formType
            headers[.cookie] = "stepwise_login_csrf=\(csrf)"

            // No CSRF cookie (a form posted from another site), or a mismatch: refused.
            let forged = try await client.execute(uri: "/login", method: .post, headers: Self.formType,
                                                  body: Self.form([("csrf", csrf), ("token", "admin")]))
            #expect(forged.status == .forbidden && Self.cookie(forged, "stepwise_session") == nil)
            let mismatched = try await client.execute(uri: "/login", method: .post, headers: headers,
                                                      body: Self.form([("csrf", String(csrf.reversed())), ("token", "admin")]))
            #expect(mismatched.status == .forbidden)
            let wrong = try await client.execute(uri: "/login", method: .post, headers: headers, body: Self.form([("csrf", csrf), ("token", "admni")]))
            #expect(wrong.status == .unauthorized && String(buffer: wrong.body).contains("token: that is not the admin token."))
            // Never redirected off the server.
            let offsite = try await client.execute(uri: "/login", method: .post, headers: headers,
                                                   body: Self.form([("csrf", csrf), ("token", "admin"), ("next", "//evil.example/")]))
            #expect(offsite.status == .seeOther && offsite.headers[.location] == "/")
            let split = try await client.execute(uri: "/login", method: .post, headers: headers,
                                                 body: Self.form([("csrf", csrf), ("token", "admin"), ("next", "/x\r\nSet-Cookie: a=b")]))
            #expect(split.headers[.location] == "/" && Self.cookie(split, "a") == nil)

            let signed = try await client.execute(uri: "/login", method: .post, headers: headers,
                                                  body: Self.form([("csrf", csrf), ("token", "admin"), ("next", "/sites/shop.example/leads")]))
            #expect(signed.status == .seeOther && signed.headers[.location] == "/sites/shop.example/leads")
            let setCookie = try #require(Self.cookie(signed, "stepwise_session"))
            for flag in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/", "Max-Age=43200"] { #expect(setCookie.contains(flag), "\(setCookie)") }
            let session: HTTPFields = [.cookie: "stepwise_session=\(Self.value(of: setCookie))"]

            let page = try await client.execute(uri: "/sites/shop.example/leads", method: .get, headers: session)
            #expect(page.status == .ok && page.headers[.contentSecurityPolicy]?.contains("default-src 'self'") == true)
            // The page's CSV button and JSON links work with the cookie; writes still need the header.
            let csv = try await client.execute(uri: "/api/v1/sites/shop.example/audiences/warm/members?format=csv", method: .get, headers: session)
            #expect(csv.status == .ok && String(buffer: csv.body).hasPrefix("person,"))
            var put = session
            put[.contentType] = "application/yaml"
            let write = try await client.execute(uri: "/api/v1/sites/shop.example/plan", method: .put, headers: put, body: body(LeadsEndpointTests.plan()))
            #expect(write.status == .unauthorized)
            // A tampered or expired cookie is no session.
            let tampered = Self.value(of: setCookie).replacingOccurrences(of: ".", with: "9.")
            #expect(try await client.execute(uri: "/sites/shop.example", method: .get, headers: [.cookie: "stepwise_session=\(tampered)"]).status == .seeOther)

            // Sign-out needs the session's CSRF token from the page.
            let html = String(buffer: page.body)
            let token = try #require(html.firstRange(of: #/name="csrf" value="([0-9a-f]{64})"/#).map { String(html[$0].dropFirst(19).dropLast()) })
            var out = session
            out[.contentType] = "application/x-www-form-urlencoded"
            #expect(try await client.execute(uri: "/logout", method: .post, headers: out, body: Self.form([("csrf", "0")])).status == .forbidden)
            let logout = try await client.execute(uri: "/logout", method: .post, headers: out, body: Self.form([("csrf", token)]))
            #expect(logout.status == .seeOther && Self.cookie(logout, "stepwise_session")?.contains("Max-Age=0") == true)
        }
    }

    @Test func aSharedLinkShowsOneSiteReadOnly() async throws {
        let fixture = try ServerFixture()
        try await fixture.run({ $0.adminToken = "admin" }) { client in
            try await LeadsEndpointTests().seed(client, plan: LeadsEndpointTests.plan())
            _ = try await client.execute(uri: "/api/v1/events", method: .post, body: body(eventJSON("pageview", site: "other.example")))
            let overview = try await dashboardPage(client, "/sites/shop.example")
            let link = try #require(overview.firstRange(of: #/share=[0-9a-f]{32}/#).map { String(overview[$0]) })

            let shared = try await client.execute(uri: "/sites/shop.example/leads?\(link)", method: .get)
            let html = String(buffer: shared.body)
            #expect(shared.status == .ok && html.contains("Warmest leads"))
            // Read-only: no exports, no sign-out, no other sites, every link keeps the key.
            #expect(!html.contains("format=csv") && !html.contains("/logout") && !html.contains("other.example"))
            #expect(html.contains("href=\"/sites/shop.example/funnels?\(link)\""))
            #expect(try await client.execute(uri: "/sites/other.example?\(link)", method: .get).status == .seeOther)
            #expect(try await client.execute(uri: "/api/v1/sites/shop.example/score?\(link)", method: .get).status == .unauthorized)
            #expect(try await client.execute(uri: "/?\(link)", method: .get).status == .seeOther)
        }
    }

    @Test func attackerControlledStringsReachThePageAsText() async throws {
        let fixture = try ServerFixture()
        try await fixture.run { client in
            try await LeadsEndpointTests().seed(client, plan: LeadsEndpointTests.plan())
            // A visitor id and a user id are whatever the sender says.
            let payload = #"<script>alert(1)</script>"#
            let events = [
                eventJSON("pageview", visitor: "x", minute: 10).replacingOccurrences(of: "}", with: #","url":"https://shop.example/pricing"}"#),
                eventJSON("newsletter", visitor: "x", minute: 11, user: #"\"><img src=x onerror=alert(2)>"#),
                eventJSON("pageview", visitor: payload, minute: 12).replacingOccurrences(of: "}", with: #","url":"https://shop.example/pricing"}"#),
            ]
            let posted = try await client.execute(uri: "/api/v1/events", method: .post, body: body(#"{"batch":[\#(events.joined(separator: ","))]}"#))
            #expect(posted.status == .ok || posted.status == .accepted, "\(String(buffer: posted.body))")
            let leads = try await dashboardPage(client, "/sites/shop.example/leads", token: nil)
            #expect(leads.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && leads.contains("&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"), "\(leads)")
            // Reflected from the URL: a filter value and an unknown parameter's name.
            let reflected = try await client.execute(uri: "/sites/shop.example?segment=device%3D%22%3E%3Cscript%3Ealert(3)%3C%2Fscript%3E", method: .get)
            let reflectedHTML = String(buffer: reflected.body)
            #expect(reflectedHTML.contains("value=\"device=&quot;&gt;&lt;script&gt;alert(3)&lt;/script&gt;\""), "\(reflectedHTML)")
            let named = try await client.execute(uri: "/sites/shop.example?%3Cb%3Ex%3C%2Fb%3E=1", method: .get)
            #expect(named.status == .badRequest && String(buffer: named.body).contains("does not read &#39;%3Cb%3Ex%3C%2Fb%3E&#39;"), "\(String(buffer: named.body))")
            for page in [leads, reflectedHTML, String(buffer: named.body)] {
                #expect(!page.contains("<script>alert") && !page.contains("<img src=x") && !page.contains("<b>x"))
            }
        }
    }

    @Test func badFiltersAreExplainedOnThePageWithA400() async throws {
        let fixture = try ServerFixture()
        try await fixture.run { client in
            try await LeadsEndpointTests().seed(client, plan: LeadsEndpointTests.plan())
            for (query, message) in [("from=2026-13-01", "from &#39;2026-13-01&#39; is not a date"), ("segment=colour%3Dred", "segment &#39;colour=red&#39;: unknown dimension"), ("include_bots=maybe", "include_bots must be true or false")] {
                let response = try await client.execute(uri: "/sites/shop.example?\(query)", method: .get)
                #expect(response.status == .badRequest && String(buffer: response.body).contains("role=\"alert\">\(message)"), "\(query): \(String(buffer: response.body))")
            }
            #expect(try await client.execute(uri: "/sites/ghost.example", method: .get).status == .notFound)
            #expect(try await client.execute(uri: "/sites/shop.example/nonsense", method: .get).status == .notFound)
            let timing = try await client.execute(uri: "/sites/shop.example/funnels", method: .get)
            #expect(timing.headers[HTTPField.Name("Server-Timing")!]?.hasPrefix("render;dur=") == true)
        }
    }
}
