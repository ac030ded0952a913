import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import StepwiseCore
import StepwiseServer
import StepwiseEngine

@Suite struct IngestEndpointTests {
    @Test func acceptsOneEventWith202AfterItIsStoredAndCountsIt() async throws {
        let fixture = try ServerFixture()
        try await fixture.run { client in
            let response = try await client.execute(uri: "/api/v1/events", method: .post, body: body(eventJSON("cta_click")))
            #expect(response.status == .accepted)
            #expect(response.json["accepted"]?.int == 1)
            #expect(response.json["duplicates"]?.int == 0)
            #expect(response.json["rejected"]?.count == 0)
            let report = try await client.execute(uri: "/api/v1/sites/shop.example/events", method: .get)
            #expect(report.status == .ok)
            #expect(report.json["events"]?[0]?["event"]?.string == "cta_click")
            #expect(report.json["events"]?[0]?["persons"]?.int == 1)
        }
        #expect(try fixture.store.eventCount() == 1)
    }

    @Test func aBatchStoresItsGoodEventsAndListsTheBadOnesByIndex() async throws {
        let fixture = try ServerFixture()
        try await fixture.run { client in
            let batch = #"{"batch":[\#(eventJSON("a", id: "1")),{"site":"shop.example","event":"b"},\#(eventJSON("a", id: "1")),\#(eventJSON("c"))]}"#
            let response = try await client.execute(uri: "/api/v1/events", method: .post, body: body(batch))
            #expect(response.status == .accepted)
            #expect(response.json["accepted"]?.int == 2)
            #expect(response.json["duplicates"]?.int == 1)
            #expect(response.json["rejected"]?[0]?["index"]?.int == 1)
            #expect(response.json["rejected"]?[0]?["code"]?.string == "missing_field")
            #expect(response.json["rejected"]?[0]?["field"]?.string == "visitor")
            // A retry of the same ids is acknowledged as duplicates and stores nothing.
            let retry = try await client.execute(uri: "/api/v1/events", method: .post, body: body(#"{"batch":[\#(eventJSON("a", id: "1"))]}"#))
            #expect(retry.json["duplicates"]?.int == 1)
        }
        #expect(try fixture.store.eventCount() == 2)
    }

    @Test(arguments: [
        (#"{"site":"shop.example","event":"x","visitor":"#, 400, "invalid_json"),
        (#"{"batch":[{"site":"shop.example","event":"x","visitor":"v"},]}"#, 400, "invalid_json"),
        (#"[{"site":"shop.example"}]"#, 400, "invalid_body"),
        (#"{"site":"shop.example","event":"x","visitor":"v","props":{"a":[1]}}"#, 400, "invalid_type"),
        (#"{"site":"shop.example","event":"x","visitor":"v","timestamp":"2099-01-01T00:00:00Z"}"#, 400, "future_timestamp"),
        ("BATCH_OF_1001", 413, "batch_too_large"),
        (#"{"batch":[{"site":"shop.example","event":"x"}]}"#, 400, "all_events_rejected"),
    ])
    func refusesBadRequestsWithAPreciseErrorAndStoresNothing(text: String, status: Int, code: String) async throws {
        let text = text != "BATCH_OF_1001" ? text
            : "{\"batch\":[" + Array(repeating: #"{"site":"shop.example","event":"x","visitor":"v"}"#, count: 1001).joined(separator: ",") + "]}"
        let fixture = try ServerFixture()
        try await fixture.run { client in
            let response = try await client.execute(uri: "/api/v1/events", method: .post, body: body(text))
            #expect(Int(response.status.code) == status)
            #expect(response.json["error"]?["code"]?.string == code)
            #expect(response.json["error"]?["message"]?.string?.isEmpty == false)
            #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
        }
        #expect(try fixture.store.eventCount() == 0)
    }

    @Test func refusesBodiesOverOneMebibyteBeforeReadingThem() async throws {
        let fixture = try ServerFixture()
        try await fixture.run { client in
            let padding = String(repeating: "x", count: (1 << 20))
            let response = try await client.execute(uri: "/api/v1/events", method: .post, body: body(#"{"site":"s","event":"x","visitor":"\#(padding)"}"#))
            #expect(response.status == .contentTooLarge)
            #expect(response.json["error"]?["code"]?.string == "body_too_large")
        }
        #expect(try fixture.store.eventCount() == 0)
    }

    @Test func writeKeysGuardTheirSiteOnly() async throws {
        let fixture = try ServerFixture()
        try await fixture.run({ $0.writeKeys = ["shop.example": "sekret"] }) { client in
            let missing = try await client.execute(uri: "/api/v1/events", method: .post, body: body(eventJSON("a")))
            #expect(missing.status == .unauthorized)
            #expect(missing.json["error"]?["code"]?.string == "unauthorized")
            let wrong = try await client.execute(uri: "/api/v1/events", method: .post, headers: [.authorization: "Bearer nope"], body: body(eventJSON("a")))
            #expect(wrong.status == .unauthorized)
            let bearer = try await client.execute(uri: "/api/v1/events", method: .post, headers: [.authorization: "Bearer sekret"], body: body(eventJSON("a")))
            #expect(bearer.status == .accepted)
            let header = try await client.execute(uri: "/api/v1/events", method: .post, headers: [HTTPField.Name("X-Stepwise-Key")!: "sekret"], body: body(eventJSON("b")))
            #expect(header.status == .accepted)
            let open = try await client.execute(uri: "/api/v1/events", method: .post, body: body(eventJSON("a", site: "blog.example")))
            #expect(open.status == .accepted)
            // One unauthorised site in a batch refuses the whole batch.
            let mixed = try await client.execute(uri: "/api/v1/events", method: .post,
                                                 body: body(#"{"batch":[\#(eventJSON("a", site: "blog.example")),\#(eventJSON("a"))]}"#))
            #expect(mixed.status == .unauthorized)
        }
        #expect(try fixture.store.eventCount() == 3)
    }

    @Test func overTheRateLimitAnswers429WithRetryAfter() async throws {
        let fixture = try ServerFixture()
        // One token per 100 s after a burst of 3: no refill can hide the limit, however slow the machine.
        try await fixture.run({ $0.rateLimitPerSecond = 0.01; $0.rateLimitBurst = 3 }) { client in
            var statuses: [Int] = []
            var retryAfter: String?
            for i in 0..<6 {
                let response = try await client.execute(uri: "/api/v1/events", method: .post, body: body(eventJSON("a", id: "r\(i)")))
                statuses.append(Int(response.status.code))
                if response.status == .tooManyRequests { retryAfter = response.headers[.retryAfter] }
            }
            #expect(statuses.prefix(3).allSatisfy { $0 == 202 })
            #expect(statuses.contains(429))
            #expect(retryAfter.flatMap(Int.init).map { $0 >= 1 } == true)
        }
    }

    @Test func corsAllowsOnlyConfiguredOrigins() async throws {
        let fixture = try ServerFixture()
        try await fixture.run({ $0.corsOrigins = ["https://shop.example"] }) { client in
            let preflight = try await client.execute(uri: "/api/v1/events", method: .options,
                                                     headers: [.origin: "https://shop.example", .accessControlRequestMethod: "POST"])
            #expect(preflight.status == .noContent)
            #expect(preflight.headers[.accessControlAllowOrigin] == "https://shop.example")
            let foreign = try await client.execute(uri: "/api/v1/events", method: .options, headers: [.origin: "https://evil.example"])
            #expect(foreign.headers[.accessControlAllowOrigin] == nil)
            let post = try await client.execute(uri: "/api/v1/events", method: .post, headers: [.origin: "https://shop.example"], body: body(eventJSON("a")))
            #expect(post.status == .accepted)
            #expect(post.headers[.accessControlAllowOrigin] == "https://shop.example")
        }
    }

    @Test func identifyLinksAVisitorRetroactively() async throws {
        let fixture = try ServerFixture()
        try await fixture.run { client in
            _ = try await client.execute(uri: "/api/v1/events", method: .post,
                                         body: body(#"{"batch":[\#(eventJSON("pageview", visitor: "phone")),\#(eventJSON("pageview", visitor: "laptop", minute: 300))]}"#))
            let identify = try await client.execute(uri: "/api/v1/identify", method: .post, body: body(#"{"site":"shop.example","visitor":"phone","user":"u1"}"#))
            #expect(identify.status == .ok)
            _ = try await client.execute(uri: "/api/v1/identify", method: .post, body: body(#"{"site":"shop.example","visitor":"laptop","user":"u1"}"#))
            let report = try await client.execute(uri: "/api/v1/sites/shop.example/events", method: .get)
            #expect(report.json["events"]?[0]?["events"]?.int == 2)
            #expect(report.json["events"]?[0]?["persons"]?.int == 1)
            #expect(report.json["events"]?[0]?["sessions"]?.int == 2)
            let bad = try await client.execute(uri: "/api/v1/identify", method: .post, body: body(#"{"site":"shop.example","visitor":"phone"}"#))
            #expect(bad.status == .badRequest)
            #expect(bad.json["error"]?["field"]?.string == "user")
        }
    }

    @Test func reportEndpointsValidateParametersAndHonourTheAdminToken() async throws {
        let fixture = try ServerFixture()
        try await fixture.run({ $0.adminToken = "admin" }) { client in
            _ = try await client.execute(uri: "/api/v1/events", method: .post, body: body(eventJSON("a")))
            let anonymous = try await client.execute(uri: "/api/v1/sites/shop.example/events", method: .get)
            #expect(anonymous.status == .unauthorized)
            let auth: HTTPFields = [.authorization: "Bearer admin"]
            let unknown = try await client.execute(uri: "/api/v1/sites/nope.example/events", method: .get, headers: auth)
            #expect(unknown.status == .notFound)
            let badDate = try await client.execute(uri: "/api/v1/sites/shop.example/events?from=yesterday", method: .get, headers: auth)
            #expect(badDate.status == .badRequest)
            #expect(badDate.json["error"]?["field"]?.string == "from")
            let typo = try await client.execute(uri: "/api/v1/sites/shop.example/events?form=2026-01-01", method: .get, headers: auth)
            #expect(typo.json["error"]?["field"]?.string == "form")
            let future = try await client.execute(uri: "/api/v1/sites/shop.example/events?from=2099-01-01", method: .get, headers: auth)
            #expect(future.json["events"]?.count == 0)
            let sites = try await client.execute(uri: "/api/v1/sites", method: .get, headers: auth)
            #expect(sites.json["sites"]?[0]?["site"]?.string == "shop.example")
        }
    }

    @Test func healthAndPrometheusMetricsAreServed() async throws {
        let fixture = try ServerFixture()
        try await fixture.run { client in
            _ = try await client.execute(uri: "/api/v1/events", method: .post, body: body(#"{"batch":[\#(eventJSON("a", id: "m")),\#(eventJSON("a", id: "m")),{"x":1}]}"#))
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(metrics.contains("stepwise_events_accepted_total 1"))
            #expect(metrics.contains("stepwise_events_duplicate_total 1"))
            #expect(metrics.contains(#"stepwise_events_rejected_total{code="unknown_field"} 1"#))
            #expect(metrics.contains("stepwise_commit_seconds_count 1"))
        }
    }

    @Test func theOverviewPageListsEachSitesEvents() async throws {
        let fixture = try ServerFixture()
        try await fixture.run { client in
            _ = try await client.execute(uri: "/api/v1/events", method: .post, body: body(eventJSON("cta_click")))
            let page = try await client.execute(uri: "/", method: .get)
            #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(visibleText(String(buffer: page.body)).contains("shop.example 1 1 0"))
            // A site without a plan still shows its events.
            let site = visibleText(try await dashboardPage(client, "/sites/shop.example", token: nil))
            #expect(site.contains("has no tracking plan yet") && site.contains("cta_click 1 1 1"), "\(site)")
        }
    }
}

@Suite struct DataCentreTrafficTests {
    @Test func eventsFromListedNetworksAreBotsAndExcludedByDefault() async throws {
        let fixture = try ServerFixture()
        try await fixture.run({ $0.botNetworks = try! NetworkList(["127.0.0.0/8", "::1/128"]) }) { client in
            let response = try await client.execute(uri: "/api/v1/events", method: .post, body: body(eventJSON("pageview")))
            #expect(response.status == .accepted)
            let humans = try await client.execute(uri: "/api/v1/sites/shop.example/events", method: .get)
            #expect(humans.json["events"]?.count == 0)
            let everyone = try await client.execute(uri: "/api/v1/sites/shop.example/events?include_bots=true", method: .get)
            #expect(everyone.json["events"]?[0]?["events"]?.int == 1)
            let sites = try await client.execute(uri: "/api/v1/sites", method: .get)
            #expect(sites.json["sites"]?[0]?["events"]?.int == 1)
            #expect(sites.json["sites"]?[0]?["persons"]?.int == 0)
            #expect(sites.json["sites"]?[0]?["bot_persons"]?.int == 1)
        }
        let table = fixture.store.live.snapshot()
        #expect(table.personBot == [BotReason.dataCentre.rawValue])
    }
}
