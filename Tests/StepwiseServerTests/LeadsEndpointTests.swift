import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Synchronization
import Testing
import StepwiseCore
import StepwiseEngine
import StepwiseServer

/// `/predict`, `/score`, `/audiences` and the audience webhooks, over real HTTP.
@Suite struct LeadsEndpointTests {
    static func plan(webhook: String? = nil, failing: String? = nil) -> String {
        """
        site: shop.example
        conversions:
          pricing:
            kind: micro
            when: { event: pageview, path: /pricing }
            value: 5
          newsletter:
            kind: micro
            when: { event: newsletter }
          purchase:
            kind: macro
            when: { event: purchase }
        audiences:
          warm:
            did: [pricing]
            not: [purchase]
        \(webhook.map { "    webhook: \($0)" } ?? "")
          readers:
            did: [newsletter]
        \(failing.map { "    webhook: \($0)" } ?? "")
        """
    }

    static let auth: HTTPFields = [.authorization: "Bearer admin"]

    /// a and b view pricing; a buys after it; c signs up for the newsletter; d only browses.
    static let events = [
        eventJSON("pageview", visitor: "a", minute: 0).replacingOccurrences(of: "}", with: #","url":"https://shop.example/pricing?gclid=G-1"}"#),
        eventJSON("purchase", visitor: "a", minute: 5, user: "ann"),
        eventJSON("pageview", visitor: "b", minute: 1).replacingOccurrences(of: "}", with: #","url":"https://shop.example/pricing?gclid=G-2"}"#),
        eventJSON("newsletter", visitor: "c", minute: 2), eventJSON("pageview", visitor: "d", minute: 3),
    ]

    func seed(_ client: any TestClientProtocol, plan: String) async throws {
        let posted = try await client.execute(uri: "/api/v1/events", method: .post, body: body(#"{"batch":[\#(Self.events.joined(separator: ","))]}"#))
        #expect(posted.status == .ok || posted.status == .accepted)
        let put = try await client.execute(uri: "/api/v1/sites/shop.example/plan", method: .put, headers: Self.auth, body: body(plan))
        #expect(put.status == .ok, "\(String(buffer: put.body))")
    }

    @Test func predictScoreAndAudiencesAnswerOverHTTP() async throws {
        let fixture = try ServerFixture()
        try await fixture.run({ $0.adminToken = "admin" }) { client in
            try await seed(client, plan: Self.plan())
            let predict = try await client.execute(uri: "/api/v1/sites/shop.example/predict?lookback=7d", method: .get, headers: Self.auth)
            #expect(predict.status == .ok)
            #expect(predict.json["macro"]?.string == "purchase")
            #expect(predict.json["persons"]?.int == 4 && predict.json["converters"]?.int == 1)
            let pricing = predict.json["micros"]?[0]
            #expect(pricing?["name"]?.string == "pricing")
            #expect(pricing?["rate_with"]?["numerator"]?.int == 1 && pricing?["rate_with"]?["denominator"]?.int == 2)
            #expect(pricing?["test"]?.string == "fisher")
            #expect(predict.json["caution"]?.string?.contains("experiment") == true)
            let board = try await client.execute(uri: "/api/v1/sites/shop.example/hypotheses?funnel=ghost", method: .get, headers: Self.auth)
            #expect(board.status == .badRequest && board.json["error"]?["field"]?.string == "funnel")

            let score = try await client.execute(uri: "/api/v1/sites/shop.example/score?top=2&half_life=1d", method: .get, headers: Self.auth)
            #expect(score.status == .ok)
            #expect(score.json["top"]?.count == 2)
            // b viewed pricing a minute after a; a is identified, so listed by the user id.
            #expect(score.json["top"]?[0]?["person"]?.string == "b" && score.json["top"]?[0]?["user"] == nil)
            #expect(score.json["top"]?[1]?["person"]?.string == "ann" && score.json["top"]?[1]?["user"]?.string == "ann")
            #expect(score.json["half_life_days"]?.int == 1)
            #expect(score.json["top"]?[0]?["key"] == nil)   // the engine's key stays inside

            let list = try await client.execute(uri: "/api/v1/sites/shop.example/audiences", method: .get, headers: Self.auth)
            #expect(list.json["audiences"]?[0]?["name"]?.string == "warm")
            #expect(list.json["audiences"]?[0]?["size"]?.int == 1)
            #expect(list.json["audiences"]?[0]?["rule"]?.string == "did pricing, not purchase")

            let members = try await client.execute(uri: "/api/v1/sites/shop.example/audiences/warm/members", method: .get, headers: Self.auth)
            #expect(members.json["members"]?[0]?["person"]?.string == "b")
            #expect(members.json["members"]?[0]?["click_ids"]?["gclid"]?.string == "G-2")
            let csv = try await client.execute(uri: "/api/v1/sites/shop.example/audiences/warm/members?format=csv", method: .get, headers: Self.auth)
            #expect(csv.headers[.contentType] == "text/csv; charset=utf-8")
            #expect(String(buffer: csv.body).hasPrefix("person,user,score,last_activity,click_ids\nb,,"))
            #expect(String(buffer: csv.body).hasSuffix(",gclid=G-2\n"))

            // Bad input names its field.
            for (uri, field) in [("predict?macro=refund", "macro"), ("predict?micros=pricing,ghost", "micros"),
                                 ("predict?from=2026-01-01&lookback=7d", "lookback"), ("predict?lookback=soon", "lookback"),
                                 ("score?top=-1", "top"), ("score?half_life=0d", "half_life"), ("score?learned=maybe", "learned"),
                                 ("score?cutoff=yesterday", "cutoff"), ("audiences/warm/members?format=xml", "format"),
                                 ("audiences/warm/members?limit=many", "limit"), ("predict?colour=red", "colour")] {
                let response = try await client.execute(uri: "/api/v1/sites/shop.example/\(uri)", method: .get, headers: Self.auth)
                #expect(response.status == .badRequest, "\(uri)")
                #expect(response.json["error"]?["field"]?.string == field, "\(uri): \(String(buffer: response.body))")
            }
            let ghost = try await client.execute(uri: "/api/v1/sites/shop.example/audiences/ghost/members", method: .get, headers: Self.auth)
            #expect(ghost.status == .notFound && ghost.json["error"]?["code"]?.string == "unknown_audience")
            let anonymous = try await client.execute(uri: "/api/v1/sites/shop.example/predict", method: .get)
            #expect(anonymous.status == .unauthorized)

            // The predictors and leads pages show the same, and the audiences with an export.
            let predictors = visibleText(try await dashboardPage(client, "/sites/shop.example/predictors"))
            #expect(predictors.contains("What predicts purchase"))
            let leads = try await dashboardPage(client, "/sites/shop.example/leads")
            #expect(visibleText(leads).contains("Warmest leads") && visibleText(leads).contains("ann 5.00"), "\(visibleText(leads))")
            #expect(visibleText(leads).contains("warm did pricing, not purchase 1 CSV"))
            #expect(leads.contains("href=\"/api/v1/sites/shop.example/audiences/warm/members?format=csv\""))
        }
    }

    @Test func signatureIsTheStandardHMACSHA256() {
        // RFC 2104 / Wikipedia's HMAC-SHA256 example.
        #expect(AudienceWebhooks.signature("The quick brown fox jumps over the lazy dog", secret: "key")
                == "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8")
    }

    @Test func enteringAnAudienceCallsItsWebhookSignedRetriedAndLogged() async throws {
        let receiver = WebhookReceiver(failFirst: 1)
        try await receiver.run { port in
            let fixture = try ServerFixture()
            let store = fixture.store
            try await fixture.run({ $0.adminToken = "admin" }) { client in
                // The readers' hook answers 404 every time: it must give up after its attempts.
                try await seed(client, plan: Self.plan(webhook: "http://127.0.0.1:\(port)/hook", failing: "http://127.0.0.1:\(port)/gone"))
                let plans = try PlanRegistry(store: store, files: [])
                let hooks = AudienceWebhooks(store: store, backend: EngineBackend(live: store.live, directory: store),
                                             plans: plans, secret: "s3cret", retryBaseMillis: 50, maxAttempts: 2)
                #expect(await hooks.checkAudiences() == 2)   // b enters warm, c enters readers
                #expect(await hooks.checkAudiences() == 0)   // nobody new: nothing queued twice
                #expect(await hooks.deliverDue() == 0)       // the receiver fails its first call; the other hook is gone
                try await Task.sleep(for: .milliseconds(120))
                #expect(await hooks.deliverDue() == 1)       // the retry lands; the gone hook fails for good

                let calls = receiver.calls
                #expect(calls.count == 2)
                #expect(Set(calls.map(\.delivery)).count == 1)   // one delivery, retried under the same id
                for call in calls { #expect(call.signature == AudienceWebhooks.signature(call.body, secret: "s3cret")) }
                let payload = try JSONParser.parse(Array(calls[1].body.utf8))
                #expect(payload["person"]?.string == "b" && payload["audience"]?.string == "warm")
                #expect(payload["type"]?.string == "audience.entered" && payload["id"]?.string == calls[1].delivery)

                let log = try await client.execute(uri: "/api/v1/sites/shop.example/audiences/warm/deliveries", method: .get, headers: Self.auth)
                #expect(log.json["deliveries"]?[0]?["status"]?.string == "delivered")
                #expect(log.json["deliveries"]?[0]?["attempts"]?.int == 2)
                #expect(log.json["deliveries"]?[0]?["last_status"]?.int == 200)
                let failed = try await client.execute(uri: "/api/v1/sites/shop.example/audiences/readers/deliveries", method: .get, headers: Self.auth)
                #expect(failed.json["deliveries"]?[0]?["status"]?.string == "failed")
                #expect(failed.json["deliveries"]?[0]?["attempts"]?.int == 2)
                #expect(failed.json["deliveries"]?[0]?["last_status"]?.int == 404)
            }
        }
    }
}

/// A webhook endpoint on a free port that records each call and fails the first few with a 500.
final class WebhookReceiver: Sendable {
    struct Call: Sendable { var delivery: String; var signature: String; var body: String }
    private let state: Mutex<(calls: [Call], failuresLeft: Int)>

    init(failFirst: Int) { state = Mutex(([], failFirst)) }

    var calls: [Call] { state.withLock { $0.calls } }

    func run(_ body: @Sendable (Int) async throws -> Void) async throws {
        let router = Router()
        router.post("/hook") { request, _ -> Response in
            let text = String(buffer: try await request.body.collect(upTo: 1 << 20))
            let call = Call(delivery: request.headers[HTTPField.Name("X-Stepwise-Delivery")!] ?? "",
                            signature: request.headers[HTTPField.Name("X-Stepwise-Signature")!] ?? "", body: text)
            let fail = self.state.withLock { state -> Bool in
                state.calls.append(call)
                defer { state.failuresLeft -= 1 }
                return state.failuresLeft > 0
            }
            return Response(status: fail ? .internalServerError : .ok)
        }
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "receiver")
        logger.logLevel = .critical
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) }, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService(gracefulShutdownSignals: []) }
            var iterator = ports.makeAsyncIterator()
            let port = await iterator.next()!
            try await body(port)
            group.cancelAll()
        }
    }
}

/// `stepwise serve --webhook-secret` on the real binary: the README's way to turn webhooks on.
@Suite(.serialized) struct WebhookServeTests {
    @Test func theServerCallsAudienceWebhooksOnItsOwn() async throws {
        let receiver = WebhookReceiver(failFirst: 0)
        try await receiver.run { port in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("stepwise-hook-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let planFile = directory.appendingPathComponent("stepwise.yml").path
            try LeadsEndpointTests.plan(webhook: "http://127.0.0.1:\(port)/hook").write(toFile: planFile, atomically: true, encoding: .utf8)
            let (server, serverPort) = try ServerProcess.start(
                database: directory.appendingPathComponent("h.db").path,
                arguments: ["--plan", planFile, "--webhook-secret", "k3y", "--audience-interval", "1s"])
            defer { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() }
            let client = TestClient(host: "127.0.0.1", port: serverPort)
            client.connect()
            defer { Task { try? await client.shutdown() } }
            _ = try await client.post("/api/v1/events", body: ByteBuffer(string: #"{"batch":[\#(LeadsEndpointTests.events.joined(separator: ","))]}"#))
            // b enters "warm" on the next check, within a second or two.
            for _ in 0..<100 where receiver.calls.isEmpty { try await Task.sleep(for: .milliseconds(100)) }
            let calls = receiver.calls
            #expect(calls.count == 1)
            #expect(calls.first.map { $0.signature == AudienceWebhooks.signature($0.body, secret: "k3y") } == true)
            #expect(calls.first?.body.contains(#""person":"b""#) == true)
        }
    }
}

/// `GET /api/v1/assign` and `GET /api/v1/experiments/size`.
@Suite struct ExperimentEndpointTests {
    @Test func assignmentIsStableAndSizingNamesBadFields() async throws {
        let fixture = try ServerFixture()
        try await fixture.run { client in
            let plan = "site: shop.example\nconversions:\n  cta:\n    kind: micro\n    when: { event: cta }\nexperiments:\n  button:\n    variants: { control: 50, bold: 50 }\n    primary: cta\n"
            #expect(try await client.execute(uri: "/api/v1/sites/shop.example/plan", method: .put, body: body(plan)).status == .ok)
            var seen: [String: Int] = [:]
            for k in 0..<200 {
                let response = try await client.execute(uri: "/api/v1/assign?site=shop.example&experiment=button&person=p\(k)", method: .get)
                let variant = try #require(response.json["variant"]?.string)
                #expect(variant == ExperimentAssignment.variant(experiment: "button", person: "p\(k)", weights: [("control", 50), ("bold", 50)]))
                seen[variant, default: 0] += 1
            }
            #expect(seen.count == 2 && seen.values.allSatisfy { $0 > 70 })   // a 50/50 split of 200, not one-sided
            let unknown = try await client.execute(uri: "/api/v1/assign?site=shop.example&experiment=nope&person=p", method: .get)
            #expect(unknown.status == .notFound && unknown.json["error"]?["field"]?.string == "experiment")
            let missing = try await client.execute(uri: "/api/v1/assign?site=shop.example&experiment=button", method: .get)
            #expect(missing.status == .badRequest && missing.json["error"]?["field"]?.string == "person")

            // Two exposed persons, one per variant; the report answers, an unknown experiment is a 404.
            let events = [#"{"site":"shop.example","event":"$exposure","visitor":"p1","props":{"experiment":"button","variant":"control"}}"#,
                          #"{"site":"shop.example","event":"$exposure","visitor":"p2","props":{"experiment":"button","variant":"bold"}}"#,
                          #"{"site":"shop.example","event":"cta","visitor":"p2"}"#]
            _ = try await client.execute(uri: "/api/v1/events", method: .post, body: body(#"{"batch":[\#(events.joined(separator: ","))]}"#))
            let report = try await client.execute(uri: "/api/v1/sites/shop.example/experiments/button", method: .get)
            #expect(report.status == .ok, "\(String(buffer: report.body))")
            #expect(report.json["variants"]?[1]?["persons"]?.int == 1)
            #expect(report.json["metrics"]?[0]?["variants"]?[1]?["conversions"]?.int == 1)
            #expect(report.json["verdict"]?.string == "keep_running")
            let page = visibleText(try await dashboardPage(client, "/sites/shop.example/experiments", token: nil))
            #expect(page.contains("Experiment button") && page.contains("Verdict: keep running"), "\(page)")
            let noFunnel = try await client.execute(uri: "/api/v1/sites/shop.example/hypotheses", method: .get)
            #expect(noFunnel.status == .badRequest && noFunnel.json["error"]?["field"]?.string == "funnel")
            let ghost = try await client.execute(uri: "/api/v1/sites/shop.example/experiments/ghost", method: .get)
            #expect(ghost.status == .notFound && ghost.json["error"]?["code"]?.string == "unknown_experiment")

            let size = try await client.execute(uri: "/api/v1/experiments/size?baseline=0.04&mde=10%25&daily_persons=1000", method: .get)
            #expect(size.json["persons_per_variant"]?.int == 39475 && size.json["days"]?.int == 79)
            for (query, field) in [("power=2", "power"), ("variants=1e300", "variants"), ("daily_persons=2.5", "daily_persons"), ("variants=100000", "variants")] {
                let bad = try await client.execute(uri: "/api/v1/experiments/size?baseline=0.04&mde=10%25&\(query)", method: .get)
                #expect(bad.status == .badRequest && bad.json["error"]?["field"]?.string == field, "\(query)")
            }
        }
    }
}
