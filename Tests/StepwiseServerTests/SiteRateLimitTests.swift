import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import StepwiseCore
import StepwiseServer

/// Per-site and per-client rate limits: 429 with Retry-After, and they hold under concurrent load.
@Suite struct SiteRateLimitTests {
    static func batch(_ site: String, _ count: Int, from start: Int) -> ByteBuffer {
        body(#"{"batch":[\#((start..<start + count).map { eventJSON("e", visitor: "v\($0)", site: site, id: "\(site)-\($0)") }.joined(separator: ","))]}"#)
    }

    @Test func oneSitesFloodIsCutAtItsLimitWhileOtherSitesFlow() async throws {
        let fixture = try ServerFixture()
        let store = fixture.store
        try await fixture.run({ $0.siteRateLimitPerSecond = 0.001 }) { client in
            // The burst is one 1000-event batch; a token a quarter-hour refills nothing a loaded machine could notice. 12 concurrent batches of 250 from one site:
            let started = Date()
            let statuses = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
                for k in 0..<12 {
                    group.addTask {
                        let response = try await client.execute(uri: "/api/v1/events", method: .post, body: Self.batch("flood.example", 250, from: k * 250))
                        return (Int(response.status.code), response.headers[.retryAfter])
                    }
                }
                return try await group.reduce(into: [(Int, String?)]()) { $0.append($1) }
            }
            let elapsed = Date().timeIntervalSince(started)
            let accepted = statuses.filter { $0.0 == 202 }.count
            let limited = statuses.filter { $0.0 == 429 }
            #expect(accepted == 4, "\(statuses) in \(elapsed) s")
            #expect(!limited.isEmpty && limited.allSatisfy { Int($0.1 ?? "") ?? 0 >= 1 }, "\(statuses)")
            // Another site is untouched by the flood; so is Plausible's endpoint for it.
            let other = try await client.execute(uri: "/api/v1/events", method: .post, body: Self.batch("calm.example", 100, from: 0))
            #expect(other.status == .accepted)
            let plausible = try await client.execute(uri: "/api/event", method: .post, headers: [.userAgent: "Mozilla/5.0 Firefox/126.0"],
                                                     body: body(#"{"name":"pageview","url":"https://flood.example/","domain":"flood.example"}"#))
            #expect(plausible.status == .tooManyRequests && plausible.headers[.retryAfter] != nil)
            let refused = try await client.execute(uri: "/api/v1/events", method: .post, body: Self.batch("flood.example", 10, from: 90_000))
            #expect(refused.status == .tooManyRequests && refused.json["error"]?["code"]?.string == "rate_limited")
            #expect(refused.json["error"]?["message"]?.string?.hasPrefix("too many events for site flood.example; retry after") == true)
            // A batch across both sites is refused whole, and costs the calm site nothing: its
            // remaining 900 events of burst still go through afterwards.
            let mixed = (0..<800).map { eventJSON("e", visitor: "m\($0)", site: "calm.example", id: "mixed-\($0)") }
                + (0..<10).map { eventJSON("e", visitor: "m\($0)", site: "flood.example", id: "mixed-flood-\($0)") }
            let both = try await client.execute(uri: "/api/v1/events", method: .post, body: body(#"{"batch":[\#(mixed.joined(separator: ","))]}"#))
            #expect(both.status == .tooManyRequests)
            let rest = try await client.execute(uri: "/api/v1/events", method: .post, body: Self.batch("calm.example", 900, from: 100))
            #expect(rest.status == .accepted)
        }
        // Exactly what was acknowledged was stored.
        #expect(try store.canonicalEvents(site: "flood.example").count == 1000)
        #expect(try store.canonicalEvents(site: "calm.example").count == 1000)
    }

    @Test func clientsBehindATrustedProxyAreLimitedOneByOne() async throws {
        let fixture = try ServerFixture()
        try await fixture.run({ $0.rateLimitPerSecond = 0.001; $0.rateLimitBurst = 2; $0.trustedProxies = try! NetworkList(["127.0.0.0/8"]) }) { client in
            func send(_ ip: String) async throws -> HTTPResponse.Status {
                try await client.execute(uri: "/api/v1/events", method: .post, headers: [HTTPField.Name("X-Forwarded-For")!: ip],
                                         body: body(eventJSON("e", visitor: ip))).status
            }
            let first = try await send("203.0.113.1"), second = try await send("203.0.113.1"), third = try await send("203.0.113.1")
            let neighbour = try await send("203.0.113.2")   // a different client behind the same proxy
            #expect(first == .accepted && second == .accepted && third == .tooManyRequests && neighbour == .accepted)
        }
    }
}
