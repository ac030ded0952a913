import Foundation
import NIOCore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import StepwiseCore
import StepwiseEngine
import StepwiseServer

/// `PUT/GET /api/v1/sites/{site}/plan` and `GET /api/v1/sites/{site}/rates` over real HTTP.
@Suite struct PlanAndRatesEndpointTests {
    static let plan = """
        site: shop.example
        conversions:
          cta:
            kind: micro
            when: { event: cta_click }
            count: once_per_person
          purchase:
            kind: macro
            when: { event: purchase }
            value: { prop: revenue }
        funnels:
          buy:
            steps: [cta, purchase]
        """

    static let auth: HTTPFields = [.authorization: "Bearer admin"]

    func put(_ client: any TestClientProtocol, _ yaml: String, site: String = "shop.example") async throws -> TestResponse {
        try await client.execute(uri: "/api/v1/sites/\(site)/plan", method: .put, headers: Self.auth, body: body(yaml))
    }

    @Test func aPlanIsReplacedOnlyByOneThatLoads() async throws {
        let fixture = try ServerFixture()
        try await fixture.run({ $0.adminToken = "admin" }) { client in
            let anonymous = try await client.execute(uri: "/api/v1/sites/shop.example/plan", method: .put, body: body(Self.plan))
            #expect(anonymous.status == .unauthorized)
            let missing = try await client.execute(uri: "/api/v1/sites/shop.example/plan", method: .get, headers: Self.auth)
            #expect(missing.status == .notFound)
            #expect(missing.json["error"]?["code"]?.string == "no_plan")

            let first = try await put(client, Self.plan)
            #expect(first.status == .ok)
            #expect(first.json["version"]?.int == 1)
            #expect(first.json["definitions"]?.int == 2)
            #expect(first.json["warnings"]?.count == 0)

            let broken = try await put(client, Self.plan.replacingOccurrences(of: "when: { event: cta_click }", with: "when: { evnt: cta_click }"))
            #expect(broken.status == .badRequest)
            #expect(broken.json["error"]?["code"]?.string == "invalid_plan")
            #expect(broken.json["error"]?["field"]?.string == "conversions.cta.when.evnt")
            #expect(broken.json["error"]?["message"]?.string?.hasPrefix("stepwise.yml:5: conversions.cta.when.evnt: unknown key") == true)

            let otherSite = try await put(client, Self.plan.replacingOccurrences(of: "site: shop.example", with: "site: blog.example"))
            #expect(otherSite.status == .badRequest)
            #expect(otherSite.json["error"]?["field"]?.string == "site")

            let current = try await client.execute(uri: "/api/v1/sites/shop.example/plan", method: .get, headers: Self.auth)
            #expect(current.json["version"]?.int == 1)
            #expect(current.json["yaml"]?.string == Self.plan)
        }
        // The plan in force is stored: the next start (and the CLI) sees it.
        #expect(try fixture.store.planText(site: "shop.example") == Self.plan)
    }

    @Test func ratesCountThePlanDefinitionsWithTheirDenominators() async throws {
        let fixture = try ServerFixture()
        try await fixture.run({ $0.adminToken = "admin" }) { client in
            let events = [
                eventJSON("pageview", visitor: "a"), eventJSON("cta_click", visitor: "a", minute: 1), eventJSON("cta_click", visitor: "a", minute: 2),
                eventJSON("pageview", visitor: "b"), eventJSON("pageview", visitor: "c"), eventJSON("cta_click", visitor: "c", minute: 90),
            ]
            _ = try await client.execute(uri: "/api/v1/events", method: .post, body: body(#"{"batch":[\#(events.joined(separator: ","))]}"#))
            let noPlan = try await client.execute(uri: "/api/v1/sites/shop.example/rates", method: .get, headers: Self.auth)
            #expect(noPlan.status == .notFound)
            #expect(noPlan.json["error"]?["code"]?.string == "no_plan")
            #expect(try await put(client, Self.plan).status == .ok)

            let rates = try await client.execute(uri: "/api/v1/sites/shop.example/rates", method: .get, headers: Self.auth)
            #expect(rates.status == .ok)
            #expect(rates.json["persons"]?.int == 3)
            #expect(rates.json["sessions"]?.int == 4)  // c came back after 90 minutes
            let cta = rates.json["definitions"]?[0]
            #expect(cta?["name"]?.string == "cta")
            #expect(cta?["completions"]?.int == 2)
            #expect(cta?["per_person"]?["numerator"]?.int == 2)
            #expect(cta?["per_person"]?["denominator"]?.int == 3)
            #expect(cta?["per_person"]?["denominator_kind"]?.string == "persons")
            #expect(cta?["per_session"]?["denominator"]?.int == 4)
            // scipy: binomtest(2, 3).proportion_ci(method="wilson")
            if case .array(let ci)? = cta?["per_person"]?["ci95"], case .number(let low) = ci[0], case .number(let high) = ci[1] {
                #expect(abs(low - 0.20765960080204782) < 1e-12 && abs(high - 0.9385080552796038) < 1e-12)
            } else {
                Issue.record("no ci95 in \(String(describing: cta))")
            }
            #expect(cta?["per_audience"] == nil)  // no denominator audience in the plan

            let segmented = try await client.execute(
                uri: "/api/v1/sites/shop.example/rates?segment=visitor_type%3Dreturning&interval=week", method: .get, headers: Self.auth)
            #expect(segmented.json["persons"]?.int == 1)
            #expect(segmented.json["segments"]?[0]?.string == "visitor_type=returning")
            #expect(segmented.json["definitions"]?[0]?["completions"]?.int == 1)

            let badSegment = try await client.execute(uri: "/api/v1/sites/shop.example/rates?segment=colour%3Dred", method: .get, headers: Self.auth)
            #expect(badSegment.status == .badRequest)
            #expect(badSegment.json["error"]?["field"]?.string == "segment")
            let badInterval = try await client.execute(uri: "/api/v1/sites/shop.example/rates?interval=month", method: .get, headers: Self.auth)
            #expect(badInterval.json["error"]?["field"]?.string == "interval")
            let unknown = try await client.execute(uri: "/api/v1/sites/nope.example/rates", method: .get, headers: Self.auth)
            #expect(unknown.json["error"]?["code"]?.string == "unknown_site")

            // The overview page shows the same rate with its interval, readable without JavaScript.
            let page = visibleText(try await dashboardPage(client, "/sites/shop.example"))
            #expect(page.contains("cta micro 2 2 66.7% ( 20.8% – 93.9% )"), "\(page)")
        }
    }
}

/// `GET /api/v1/sites/{site}/funnels/{name}` and `POST /api/v1/sites/{site}/funnel`.
@Suite struct FunnelEndpointTests {
    @Test func funnelsAnswerForPlanFunnelsAndAdHocSteps() async throws {
        let fixture = try ServerFixture()
        try await fixture.run({ $0.adminToken = "admin" }) { client in
            let auth = PlanAndRatesEndpointTests.auth
            let events = [
                eventJSON("cta_click", visitor: "a", minute: 1), eventJSON("purchase", visitor: "a", minute: 2),
                eventJSON("cta_click", visitor: "b", minute: 1), eventJSON("pageview", visitor: "c"),
            ]
            _ = try await client.execute(uri: "/api/v1/events", method: .post, body: body(#"{"batch":[\#(events.joined(separator: ","))]}"#))
            _ = try await client.execute(uri: "/api/v1/sites/shop.example/plan", method: .put, headers: auth, body: body(PlanAndRatesEndpointTests.plan))

            let funnel = try await client.execute(uri: "/api/v1/sites/shop.example/funnels/buy", method: .get, headers: auth)
            #expect(funnel.status == .ok)
            #expect(funnel.json["steps"]?[0]?["name"]?.string == "cta")
            #expect(funnel.json["steps"]?[0]?["persons"]?.int == 2)
            #expect(funnel.json["steps"]?[1]?["persons"]?.int == 1)
            #expect(funnel.json["biggest_leak"]?["lost"]?.int == 1)
            let sessions = try await client.execute(uri: "/api/v1/sites/shop.example/funnels/buy?per=session", method: .get, headers: auth)
            #expect(sessions.json["steps"]?[0]?["sessions"]?.int == 2)
            let unknown = try await client.execute(uri: "/api/v1/sites/shop.example/funnels/nope", method: .get, headers: auth)
            #expect(unknown.status == .notFound)
            #expect(unknown.json["error"]?["code"]?.string == "unknown_funnel")
            let badOrder = try await client.execute(uri: "/api/v1/sites/shop.example/funnels/buy?order=random", method: .get, headers: auth)
            #expect(badOrder.json["error"]?["field"]?.string == "order")

            let adHoc = try await client.execute(
                uri: "/api/v1/sites/shop.example/funnel", method: .post, headers: auth,
                body: body(#"{"steps": ["pageview", "cta"], "order": "any", "window": "1h", "breakdown": "device"}"#))
            #expect(adHoc.status == .ok)
            #expect(adHoc.json["steps"]?[0]?["persons"]?.int == 3)  // any order: one distinct step
            #expect(adHoc.json["order"]?.string == "any")
            #expect(adHoc.json["breakdown"]?[0]?["value"]?.string == "unknown")
            // The overview page draws the plan's funnel and names its leak.
            let page = visibleText(try await dashboardPage(client, "/sites/shop.example/funnels"))
            #expect(page.contains("Funnel buy"))
            #expect(page.contains("Biggest leak: cta → purchase , 1 lost"), "\(page)")
            let typo = try await client.execute(uri: "/api/v1/sites/shop.example/funnel", method: .post, headers: auth,
                                                body: body(#"{"stpes": ["a", "b"]}"#))
            #expect(typo.status == .badRequest)
            #expect(typo.json["error"]?["field"]?.string == "stpes")
            let oneStep = try await client.execute(uri: "/api/v1/sites/shop.example/funnel", method: .post, headers: auth,
                                                   body: body(#"{"steps": ["a"]}"#))
            #expect(oneStep.json["error"]?["field"]?.string == "steps")
            let badExclusion = try await client.execute(uri: "/api/v1/sites/shop.example/funnel", method: .post, headers: auth,
                                                        body: body(#"{"steps": ["a", "b"], "exclude": ["r:b:a"]}"#))
            #expect(badExclusion.json["error"]?["field"]?.string == "exclude")
        }
    }
}

/// `--plan` files and `SIGHUP`, on the real binary.
@Suite(.serialized) struct PlanReloadTests {
    @Test func sighupAppliesAChangedPlanAndKeepsTheOldOneWhenTheNewOneIsBroken() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("stepwise-hup-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let planFile = directory.appendingPathComponent("stepwise.yml").path
        let log = directory.appendingPathComponent("stderr.log").path
        try PlanAndRatesEndpointTests.plan.write(toFile: planFile, atomically: true, encoding: .utf8)
        FileManager.default.createFile(atPath: log, contents: nil)
        let (server, port) = try ServerProcess.start(
            database: directory.appendingPathComponent("h.db").path, arguments: ["--plan", planFile],
            stderr: try FileHandle(forWritingTo: URL(fileURLWithPath: log)))
        defer { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() }
        let client = TestClient(host: "127.0.0.1", port: port)
        client.connect()
        defer { Task { try? await client.shutdown() } }
        func current() async throws -> JSONValue {
            let response = try await client.get("/api/v1/sites/shop.example/plan")
            return (try? JSONParser.parse(Array((response.body ?? ByteBuffer()).readableBytesView))) ?? .null
        }
        func hangUpAndWait(for text: String) async throws {
            kill(server.processIdentifier, SIGHUP)
            for _ in 0..<100 where !(try String(contentsOfFile: log, encoding: .utf8)).contains(text) {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        #expect(try await current()["version"]?.int == 1)
        #expect(try await current()["source"]?.string == planFile)

        try "site: shop.example\nconversions:\n  cta: {kind: micro, when: {event: [oops]}}\n".write(toFile: planFile, atomically: true, encoding: .utf8)
        try await hangUpAndWait(for: "not applied")
        let refused = try String(contentsOfFile: log, encoding: .utf8)
        #expect(refused.contains("stepwise: plan \(planFile) not applied, keeping the previous plan: \(planFile):3: conversions.cta.when.event"))
        #expect(try await current()["version"]?.int == 1)
        #expect(try await current()["definitions"]?.int == 2)

        try PlanAndRatesEndpointTests.plan.replacingOccurrences(of: "count: once_per_person", with: "count: every")
            .write(toFile: planFile, atomically: true, encoding: .utf8)
        try await hangUpAndWait(for: "applied\n")
        #expect(try String(contentsOfFile: log, encoding: .utf8).contains("stepwise: plan \(planFile) applied\n"))
        #expect(try await current()["version"]?.int == 2)
        #expect(try await current()["yaml"]?.string?.contains("count: every") == true)
    }
}
