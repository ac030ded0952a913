import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import StepwiseCore
import StepwiseEngine
import StepwiseServer

/// `/health`, `/annotations` and health alerts, over real HTTP.
@Suite struct HealthEndpointTests {
    static func plan(webhook: String) -> String {
        """
        site: shop.example
        conversions:
          signup:
            kind: macro
            when: { event: signup }
        health:
          history_weeks: 4
          webhook: \(webhook)
        """
    }

    static let auth: HTTPFields = [.authorization: "Bearer admin"]
    static let day: Int64 = 86_400_000
    /// Midnight UTC today: the moment judged, so yesterday is the last whole day.
    static let midnight = Timestamp.floorDivMod(Int64(Date().timeIntervalSince1970 * 1000), day).0 * day

    /// 36 days of 40 visitors a day, half of them signing up, until yesterday, when signups stop.
    static func history() -> [String] {
        var events: [String] = []
        for k in 0..<36 {
            let start = midnight - Int64(36 - k) * day + 10 * 3_600_000
            for i in 0..<40 {
                let visitor = "d\(k)-\(i)"
                events.append(#"{"site":"shop.example","event":"pageview","visitor":"\#(visitor)","timestamp":"\#(Timestamp.formatRFC3339(start + Int64(i) * 60_000))"}"#)
                if i % 2 == 0, k < 35 {
                    events.append(#"{"site":"shop.example","event":"signup","visitor":"\#(visitor)","timestamp":"\#(Timestamp.formatRFC3339(start + Int64(i) * 60_000 + 5_000))"}"#)
                }
            }
        }
        return events
    }

    @Test func aSilentMacroIsReportedWithItsEvidenceAnnotationAndOneAlert() async throws {
        let receiver = WebhookReceiver(failFirst: 0)
        try await receiver.run { port in
            let fixture = try ServerFixture()
            let store = fixture.store
            try await fixture.run({ $0.adminToken = "admin" }) { client in
                let events = Self.history()
                for start in stride(from: 0, to: events.count, by: 1000) {
                    let batch = events[start..<min(start + 1000, events.count)].joined(separator: ",")
                    let posted = try await client.execute(uri: "/api/v1/events", method: .post, body: body(#"{"batch":[\#(batch)]}"#))
                    #expect(posted.status == .accepted)
                }
                // One bad event: counted by its code for the site.
                let bad = try await client.execute(uri: "/api/v1/events", method: .post, body: body(
                    #"{"batch":[{"site":"shop.example","event":"pageview","visitor":"x","timestamp":"yesterday"},\#(eventJSON("pageview", visitor: "y", id: "dup-1"))]}"#))
                #expect(bad.status == .accepted)
                let retry = try await client.execute(uri: "/api/v1/events", method: .post, body: body(eventJSON("pageview", visitor: "y", id: "dup-1")))
                #expect(retry.json["duplicates"]?.int == 1)
                let put = try await client.execute(uri: "/api/v1/sites/shop.example/plan", method: .put, headers: Self.auth,
                                                   body: body(Self.plan(webhook: "http://127.0.0.1:\(port)/hook")))
                #expect(put.status == .ok, "\(String(buffer: put.body))")

                // The deploy that broke it, the evening before.
                let deployAt = Timestamp.formatRFC3339(Self.midnight - Self.day - 3 * 3_600_000)
                let note = try await client.execute(uri: "/api/v1/sites/shop.example/annotations", method: .post, headers: Self.auth,
                                                    body: body(#"{"text":"release 42","kind":"deploy","at":"\#(deployAt)"}"#))
                #expect(note.status == .created && note.json["kind"]?.string == "deploy" && note.json["id"]?.int == 1)
                for (text, field) in [(#"{"kind":"deploy"}"#, "text"), (#"{"text":"x","kind":"launch"}"#, "kind"),
                                      (#"{"text":"x","at":"soon"}"#, "at"), (#"{"text":"x","who":"me"}"#, "who"), (#"{"text":5}"#, "text")] {
                    let refused = try await client.execute(uri: "/api/v1/sites/shop.example/annotations", method: .post, headers: Self.auth, body: body(text))
                    #expect(refused.status == .badRequest && refused.json["error"]?["field"]?.string == field, "\(text): \(String(buffer: refused.body))")
                }
                let anonymous = try await client.execute(uri: "/api/v1/sites/shop.example/annotations", method: .post, body: body(#"{"text":"x"}"#))
                #expect(anonymous.status == .unauthorized)
                let listed = try await client.execute(uri: "/api/v1/sites/shop.example/annotations", method: .get, headers: Self.auth)
                #expect(listed.json["annotations"]?.count == 1)

                let at = Timestamp.formatRFC3339(Self.midnight)
                let health = try await client.execute(uri: "/api/v1/sites/shop.example/health?at=\(at)&days=7", method: .get, headers: Self.auth)
                #expect(health.status == .ok, "\(String(buffer: health.body))")
                #expect(health.json["status"]?.string == "anomalies")
                let silent = health.json["open"]?[0]
                #expect(silent?["series"]?.string == "signup" && silent?["kind"]?.string == "silent" && silent?["severity"]?.string == "critical")
                #expect(silent?["segment"] == nil || silent?["segment"] == .null)
                #expect(silent?["evidence"]?["observed"]?.int == 0 && silent?["evidence"]?["expected"]?.int == 20)
                #expect(silent?["evidence"]?["history"]?.count == 4)
                #expect(silent?["annotations"]?[0]?["text"]?.string == "release 42")
                #expect(health.json["open"]?.count == 1, "\(String(buffer: health.body))")
                // The volumes health reads, by day and by hour.
                let from = Timestamp.formatRFC3339(Self.midnight - 2 * Self.day)
                let volumes = try await client.execute(uri: "/api/v1/sites/shop.example/volumes?from=\(from)&to=\(at)", method: .get, headers: Self.auth)
                #expect(volumes.status == .ok, "\(String(buffer: volumes.body))")
                let signup = volumes.json["series"]?[0]
                #expect(signup?["name"]?.string == "signup" && signup?["points"]?[0]?["count"]?.int == 20 && signup?["points"]?[1]?["count"]?.int == 0)
                let hourly = try await client.execute(uri: "/api/v1/sites/shop.example/volumes?interval=hour&from=\(from)&to=\(at)", method: .get, headers: Self.auth)
                #expect(hourly.json["series"]?[0]?["points"]?.count == 48 && hourly.json["series"]?[0]?["points"]?[10]?["count"]?.int == 20)
                for (query, field) in [("interval=minute", "interval"), ("segment=channel%3DEmail", "segment"), ("interval=hour&from=2026-01-01", "from"),
                                      ("from=1970-01-01T00:00:00Z&to=2999-01-01T00:00:00Z", "from")] {
                    let refused = try await client.execute(uri: "/api/v1/sites/shop.example/volumes?\(query)", method: .get, headers: Self.auth)
                    #expect(refused.status == .badRequest && refused.json["error"]?["field"]?.string == field, "\(query): \(String(buffer: refused.body))")
                }

                // Rejections count on the day they arrived: today.
                let now = try await client.execute(uri: "/api/v1/sites/shop.example/health", method: .get, headers: Self.auth)
                #expect(now.json["quality"]?["rejected"]?[0]?["code"]?.string == "invalid_timestamp", "\(String(buffer: now.body))")
                #expect(now.json["quality"]?["rejected"]?[0]?["count"]?.int == 1)
                #expect(now.json["quality"]?["accepted"]?.int == events.count + 1 && now.json["quality"]?["duplicates"]?.int == 1)

                for (query, field) in [("days=0", "days"), ("weeks=13", "weeks"), ("at=noon", "at"), ("segment=device%3Dmobile", "segment"), ("include_bots=true", "include_bots")] {
                    let refused = try await client.execute(uri: "/api/v1/sites/shop.example/health?\(query)", method: .get, headers: Self.auth)
                    #expect(refused.status == .badRequest && refused.json["error"]?["field"]?.string == field, "\(query): \(String(buffer: refused.body))")
                }

                // The health page marks the deploy on the macro's chart and lists the open anomaly.
                let page = try await dashboardPage(client, "/sites/shop.example/health")
                #expect(page.contains("<h2>Tracking health</h2>"))
                #expect(page.contains("<title>deploy: release 42</title>"))
                #expect(page.contains("signup went silent"))

                // The monitor alerts once when it opens and once when it closes, signed.
                let plans = try PlanRegistry(store: store, files: [])
                let backend = EngineBackend(live: store.live, directory: store)
                let monitor = HealthMonitor(store: store, backend: backend, plans: plans, signs: true)
                #expect(await monitor.check(now: Self.midnight)["shop.example"]?.opened.count == 1)
                #expect(await monitor.check(now: Self.midnight).isEmpty)   // still open: no second alert
                #expect(await monitor.check(now: Self.midnight - 2 * Self.day)["shop.example"]?.closed.count == 1)
                let hooks = AudienceWebhooks(store: store, backend: backend, plans: plans, secret: "s3cret")
                #expect(await hooks.deliverDue() == 2)
                let calls = receiver.calls
                #expect(calls.count == 2)
                let opened = try #require(calls.first { $0.body.contains(#""type":"health.anomaly_opened""#) })
                #expect(opened.body.contains(#""series":"signup""#) && opened.body.contains(#""kind":"silent""#))
                #expect(calls.contains { $0.body.contains(#""type":"health.anomaly_closed""#) })
                #expect(calls.allSatisfy { $0.signature == AudienceWebhooks.signature($0.body, secret: "s3cret") })
                let log = try await client.execute(uri: "/api/v1/sites/shop.example/health/deliveries", method: .get, headers: Self.auth)
                #expect(log.json["deliveries"]?.count == 2)
            }
        }
    }
}
