import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import StepwiseCore
import StepwiseServer

/// Events sent without a visitor get a daily, unlinkable id from (salt, site, IP, user agent).
@Suite struct CookielessIdentityTests {
    static let forwarded = HTTPField.Name("X-Forwarded-For")!

    func post(_ client: any TestClientProtocol, agent: String, forwardedFor: String? = nil) async throws {
        var headers: HTTPFields = [.userAgent: agent]
        if let forwardedFor { headers[Self.forwarded] = forwardedFor }
        let response = try await client.execute(uri: "/api/v1/events?cookieless=1", method: .post, headers: headers,
                                                body: body(#"{"site":"shop.example","event":"pageview"}"#))
        #expect(response.status == .accepted, "\(String(buffer: response.body))")
    }

    @Test func oneBrowserIsOneVisitorForTheDayAndProxiesAreTrustedOnlyWhenConfigured() async throws {
        let fixture = try ServerFixture()
        try await fixture.run { client in
            try await post(client, agent: "Firefox/1")
            try await post(client, agent: "Firefox/1")
            try await post(client, agent: "Safari/2")
            // From an untrusted peer, X-Forwarded-For is the client's own claim: ignored.
            try await post(client, agent: "Firefox/1", forwardedFor: "203.0.113.9")
            // Without cookieless=1 a missing visitor is still an error.
            let plain = try await client.execute(uri: "/api/v1/events", method: .post, body: body(#"{"site":"shop.example","event":"pageview"}"#))
            #expect(plain.status == .badRequest && plain.json["error"]?["field"]?.string == "visitor")
        }
        let visitors = try fixture.store.canonicalEvents(site: "shop.example").map(\.visitor)
        #expect(visitors.allSatisfy { $0.hasPrefix("c") && $0.count == 21 })
        #expect(visitors[0] == visitors[1] && visitors[0] != visitors[2] && visitors[3] == visitors[0])

        let proxied = try ServerFixture()
        try await proxied.run({ $0.trustedProxies = try! NetworkList(["127.0.0.0/8"]) }) { client in
            try await post(client, agent: "Firefox/1", forwardedFor: "203.0.113.9")
            try await post(client, agent: "Firefox/1", forwardedFor: "198.51.100.7, 127.0.0.1")
            try await post(client, agent: "Firefox/1", forwardedFor: "203.0.113.9")
        }
        let behindProxy = try proxied.store.canonicalEvents(site: "shop.example").map(\.visitor)
        #expect(behindProxy[0] == behindProxy[2] && behindProxy[0] != behindProxy[1])
    }

    @Test func yesterdaysSaltIsGoneSoItsIdsCannotBeRecomputed() throws {
        let fixture = try ServerFixture()
        let monday = try fixture.store.dailySalt(day: "2026-11-23")
        #expect(try fixture.store.dailySalt(day: "2026-11-23") == monday && monday.count == 32)
        let tuesday = try fixture.store.dailySalt(day: "2026-11-24")
        #expect(tuesday != monday)
        #expect(try fixture.store.dailySalt(day: "2026-11-23") != monday)
    }

    @Test func theClientIsTheNearestUntrustedHop() throws {
        let trusted = try NetworkList(["10.0.0.0/8"])
        #expect(CookielessIdentity.clientAddress(peer: "10.0.0.2", forwardedFor: "203.0.113.9, 10.0.0.5", trusted: trusted) == "203.0.113.9")
        #expect(CookielessIdentity.clientAddress(peer: "192.0.2.1", forwardedFor: "203.0.113.9", trusted: trusted) == "192.0.2.1")
        #expect(CookielessIdentity.clientAddress(peer: "10.0.0.2", forwardedFor: nil, trusted: trusted) == "10.0.0.2")
    }
}
