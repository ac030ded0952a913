import Foundation
import Hummingbird
import HummingbirdTesting
import StepwiseClickHouse
import StepwiseCore
import StepwiseEngine
import StepwiseServer
import StepwiseStorage
import Testing

/// A node scaled out to ClickHouse, over real HTTP: events in, reports out of ClickHouse,
/// every report answered from ClickHouse, and ClickHouse away never losing an event.
@Suite struct ScaledOutServerTests {
    final class Node: Sendable {
        let directory: URL
        let store: EventStore
        let writer: ClickHouseEventWriter
        let backend: ClickHouseBackend

        init(_ endpoint: ClickHouseEndpoint, cluster: String? = nil) throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("stepwise-node-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            store = try EventStore(path: directory.appendingPathComponent("node.db").path)
            var limits = ClickHouseEventWriter.Limits()
            limits.maxDelay = .milliseconds(5)
            limits.backoff = .milliseconds(1)
            writer = ClickHouseEventWriter(client: ClickHouseClient(endpoint), spoolPath: directory.appendingPathComponent("spool").path, limits: limits)
            backend = ClickHouseBackend(client: ClickHouseClient(endpoint), cluster: cluster)
        }

        deinit { try? FileManager.default.removeItem(at: directory) }

        func run(_ test: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
            var configuration = ServerConfiguration()
            configuration.port = 0
            let cluster = backend.schema.cluster
            let shared = ScaleOut(sink: writer, backend: backend, erasure: ClickHouseEraser(client: backend.client, cluster: cluster),
                                  salts: ClickHouseSalts(client: backend.client), plans: ClickHousePlans(client: backend.client),
                                  sites: ClickHouseSites(client: backend.client), facts: ClickHouseHealthFacts(client: backend.client, cluster: cluster))
            configuration.scaleOut = shared
            let plans = try PlanRegistry(store: store, files: [])
            let sites = SiteRegistry(store: store, open: configuration.openSites)
            // As `serve` does: the shared plans and sites at start, then every few milliseconds here.
            let sync = SharedStateSync(plans: plans, sharedPlans: shared.plans, sites: sites, sharedSites: shared.sites,
                                       rejections: (store, shared.facts!), interval: .milliseconds(20))
            let started = (try? await sync.start()) != nil
            let syncing = Task { await sync.run(published: started) }
            defer { syncing.cancel() }
            let app = buildApplication(store: store, configuration: configuration, plans: plans, sites: sites)
            try await app.test(.live) { client in try await test(client) }
        }
    }

    static let agent = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"

    static func event(_ name: String, _ visitor: String, minute: Int, user: String? = nil) -> String {
        let time = Timestamp.formatRFC3339(1_793_614_503_120 + Int64(minute) * 60_000)
        return #"{"site":"n.example","event":"\#(name)","visitor":"\#(visitor)","timestamp":"\#(time)","user_agent":"\#(agent)""#
            + (user.map { #","user":"\#($0)""# } ?? "") + "}"
    }

    static func json(_ response: TestResponse) -> JSONValue { (try? JSONParser.parse(Array(response.body.readableBytesView))) ?? .null }

    /// Whether `path` answers a body that `holds` within about five seconds.
    static func eventually(_ client: any TestClientProtocol, _ path: String, _ holds: (String) -> Bool) async throws -> Bool {
        for _ in 0..<250 {
            let response = try await client.execute(uri: path, method: .get)
            if response.status == .ok, holds(String(buffer: response.body)) { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    /// On two shards, node a talks to shard 1's server and node b to shard 2's.
    @Test(arguments: Topology.allCases) func aPlanOrSiteSentToOneNodeIsInForceOnEveryNode(_ topology: Topology) async throws {
        let server = topology.server, endpoints = try server.endpoints("plans"), endpoint = endpoints[0]
        _ = try await server.createSchema(ClickHouseClient(endpoint))
        let plan = "site: p.example\nconversions:\n  viewed: { kind: micro, when: { event: view } }\n"
        let a = try Node(endpoint, cluster: server.cluster), b = try Node(endpoints.last!, cluster: server.cluster)
        try await a.run { first in
            try await b.run { second in
                let put = try await second.execute(uri: "/api/v1/sites/p.example/plan", method: .put, body: ByteBuffer(string: plan))
                #expect(put.status == .ok, "\(String(buffer: put.body))")
                #expect(try await Self.eventually(first, "/api/v1/sites/p.example/plan") { $0.contains(#""source":"shared""#) },
                        "node a never took the plan node b was sent")
                // A plan that does not load is refused, stored nowhere, and the one in force stays.
                let bad = try await first.execute(uri: "/api/v1/sites/p.example/plan", method: .put,
                                                  body: ByteBuffer(string: "site: p.example\nconversions:\n  x: { kind: nope }\n"))
                #expect(bad.status == .badRequest)
                #expect(try await ClickHousePlans(client: ClickHouseClient(endpoint)).planTexts() == ["p.example": plan])
                // A site registered on b is registered on a; removed on a, it is gone from b.
                let add = try await second.execute(uri: "/api/v1/sites", method: .post, headers: [.contentType: "application/json"],
                                                   body: ByteBuffer(string: #"{"name":"s.example","write_key":"key-12345678"}"#))
                #expect(add.status == .created, "\(String(buffer: add.body))")
                #expect(try await Self.eventually(first, "/api/v1/sites") { $0.contains(#""name":"s.example""#) }, "a never registered s.example")
                let remove = try await first.execute(uri: "/api/v1/sites/s.example", method: .delete)
                #expect(remove.status == .noContent)
                #expect(try await Self.eventually(second, "/api/v1/sites") { !$0.contains("s.example") }, "b kept s.example")
                let stored = try await ClickHouseSites(client: ClickHouseClient(endpoint)).sites()
                #expect(stored.keys.contains("s.example") && stored["s.example"]! == nil, "\(stored)")
            }
        }
        // A node started later serves the shared plan from its first request.
        try await Node(endpoints.last!, cluster: server.cluster).run { client in
            let got = try await client.execute(uri: "/api/v1/sites/p.example/plan", method: .get)
            #expect(got.status == .ok && String(buffer: got.body).contains(#""definitions":1"#), "\(String(buffer: got.body))")
        }
    }

    @Test(arguments: Topology.allCases) func annotationsAndIngestOutcomesAreTheSameOnEveryNode(_ topology: Topology) async throws {
        let server = topology.server, endpoints = try server.endpoints("facts")
        _ = try await server.createSchema(ClickHouseClient(endpoints[0]))
        let a = try Node(endpoints[0], cluster: server.cluster), b = try Node(endpoints.last!, cluster: server.cluster)
        let now = Timestamp.formatRFC3339(Int64(Date().timeIntervalSince1970 * 1000) - 60_000)
        @Sendable func event(_ id: String, timestamp: String = now) -> String {
            #"{"id":"\#(id)","site":"f.example","event":"view","visitor":"v1","timestamp":"\#(timestamp)","user_agent":"\#(Self.agent)"}"#
        }
        try await a.run { client in
            let plan = try await client.execute(uri: "/api/v1/sites/f.example/plan", method: .put,
                                                body: ByteBuffer(string: "site: f.example\nconversions:\n  viewed: { kind: macro, when: { event: view } }\n"))
            #expect(plan.status == .ok || plan.status == .created, "\(String(buffer: plan.body))")
            // Two accepted, one refused for its timestamp; then the first sent again (a duplicate).
            for batch in [[event("e1"), event("e2"), event("e3", timestamp: "yesterday")], [event("e1")]] {
                let sent = try await client.execute(uri: "/api/v1/events", method: .post, headers: [.contentType: "application/json"],
                                                    body: ByteBuffer(string: #"{"batch":[\#(batch.joined(separator: ","))]}"#))
                #expect(sent.status == .accepted, "\(String(buffer: sent.body))")
            }
            let note = try await client.execute(uri: "/api/v1/sites/f.example/annotations", method: .post, headers: [.contentType: "application/json"],
                                                body: ByteBuffer(string: #"{"kind":"deploy","text":"checkout v2"}"#))
            #expect(note.status == .created, "\(String(buffer: note.body))")
            // The refusal reaches the shared tallies with the node's next sync.
            #expect(try await Self.eventually(client, "/api/v1/sites/f.example/health") { $0.contains(#""code":"invalid_timestamp""#) })
        }
        try await b.run { client in
            // On two shards, b's server has them once it has fetched a's from the replication log.
            #expect(try await Self.eventually(client, "/api/v1/sites/f.example/annotations") { $0.contains(#""text":"checkout v2""#) })
            #expect(try await Self.eventually(client, "/api/v1/sites/f.example/health") { $0.contains("invalid_timestamp") })
            let health = try await client.execute(uri: "/api/v1/sites/f.example/health", method: .get)
            let body = String(buffer: health.body)
            #expect(health.status == .ok && body.contains(#""accepted":2"#) && body.contains(#""duplicates":1"#), "\(body)")
            #expect(body.contains(#""rejected":[{"code":"invalid_timestamp","count":1}]"#) && body.contains("checkout v2"), "\(body)")
        }
    }

    @Test func oneNodeSendsWebhooksAndTheNextTakesOverWithoutResending() async throws {
        let endpoint = try ClickHouseServer.shared.endpoint("monitors")
        _ = try await ClickHouseSchema(database: endpoint.database).migrate(ClickHouseClient(endpoint))
        let a = try Node(endpoint), b = try Node(endpoint)
        let planFile = a.directory.appendingPathComponent("plan.yml").path
        try """
            site: m.example
            conversions:
              view: { kind: micro, when: { event: view } }
            audiences:
              viewers: { did: [view], webhook: "http://127.0.0.1:9/hook" }
            """.write(toFile: planFile, atomically: true, encoding: .utf8)
        let enricher = EventEnricher()
        func view(_ visitor: String) async throws {
            let event = CanonicalEvent(site: "m.example", name: "view", visitor: visitor, timestamp: Int64(Date().timeIntervalSince1970 * 1000), userAgent: Self.agent)
            _ = try await a.writer.append([enricher.enrich(event)], received: 1)
        }
        func role(_ node: String) -> MonitorRole {
            MonitorRole(election: ClickHouseMonitors(client: ClickHouseClient(endpoint), staleAfterSeconds: 15), node: node)
        }
        // ClickHouse's clock counts seconds: b checks in a second after a, so a is up longer.
        let roleA = role("a"), roleB = role("b")
        await roleA.refresh()
        try await Task.sleep(for: .milliseconds(1100))
        await roleB.refresh()
        #expect(roleA.sends && !roleB.sends)
        let hooksA = AudienceWebhooks(store: a.store, backend: a.backend, plans: try PlanRegistry(store: a.store, files: [planFile]), secret: "s", role: roleA)
        let hooksB = AudienceWebhooks(store: b.store, backend: b.backend, plans: try PlanRegistry(store: b.store, files: [planFile]), secret: "s", role: roleB)
        try await view("v1")
        try await view("v2")
        #expect(await hooksA.checkAudiences() == 2)
        // b stands by: it records who is in, and queues nothing.
        #expect(await hooksB.checkAudiences() == 0)
        #expect(try b.store.deliveries(site: "m.example").isEmpty)
        // a stops checking in while b goes on; 15 seconds later b sends, and only who is new. (The
        // window is wide so that a loaded machine's slow queries never make a look quiet early.)
        try await view("v3")
        let deadline = ContinuousClock.now + .seconds(90)
        while !roleB.sends, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(500))
            await roleB.refresh()
        }
        #expect(roleB.sends)
        #expect(await hooksB.checkAudiences() == 1)
        #expect(try b.store.deliveries(site: "m.example").map(\.person) == ["v3"])
        // a comes back as the newest node: b keeps sending, a stands by.
        await roleA.refresh()
        await roleB.refresh()
        #expect(!roleA.sends && roleB.sends)
        #expect(await hooksA.checkAudiences() == 0)
    }

    @Test func eventsGoToClickHouseAndReportsComeBackFromIt() async throws {
        let endpoint = try ClickHouseServer.shared.endpoint("node")
        _ = try await ClickHouseSchema(database: endpoint.database).migrate(ClickHouseClient(endpoint))
        // Two stateless nodes on one ClickHouse: what one accepts, the other reports.
        let a = try Node(endpoint), b = try Node(endpoint)
        try await a.run { client in
            let batch = [Self.event("view", "v1", minute: 0), Self.event("cart", "v1", minute: 2), Self.event("view", "v2", minute: 0)]
            let accepted = try await client.execute(uri: "/api/v1/events", method: .post, headers: [.contentType: "application/json"],
                                                    body: ByteBuffer(string: #"{"batch":[\#(batch.joined(separator: ","))]}"#))
            #expect(accepted.status == .accepted)
            // v2 turns out to be the same person as v1, after the fact.
            let linked1 = try await client.execute(uri: "/api/v1/identify", method: .post, headers: [.contentType: "application/json"],
                                                   body: ByteBuffer(string: #"{"site":"n.example","visitor":"v1","user":"ann"}"#))
            let linked2 = try await client.execute(uri: "/api/v1/identify", method: .post, headers: [.contentType: "application/json"],
                                                   body: ByteBuffer(string: #"{"site":"n.example","visitor":"v2","user":"ann"}"#))
            #expect(linked1.status == .ok && linked2.status == .ok)
        }
        try await b.run { client in
            let counts = Self.json(try await client.execute(uri: "/api/v1/sites/n.example/events", method: .get))
            #expect(JSONWriter.write(counts) == #"{"events":[{"event":"view","events":2,"persons":1,"sessions":1},{"event":"cart","events":1,"persons":1,"sessions":1}],"site":"n.example"}"#)
            let funnel = try await client.execute(uri: "/api/v1/sites/n.example/funnel", method: .post, headers: [.contentType: "application/json"],
                                                  body: ByteBuffer(string: #"{"steps":["view","cart"]}"#))
            #expect(funnel.status == .ok)
            let steps = Self.json(funnel)
            if case .object(let o) = steps, case .array(let list)? = o["steps"], list.count == 2,
               case .object(let second) = list[1] {
                #expect(second["persons"] == .number(1))
                #expect(second["median_seconds_from_previous"] == .number(120))
            } else {
                Issue.record("funnel answer \(JSONWriter.write(steps))")
            }
            let plan = try await client.execute(uri: "/api/v1/sites/n.example/plan", method: .put,
                                                body: ByteBuffer(string: """
                                                    site: n.example
                                                    conversions:
                                                      cart: { kind: micro, when: { event: cart } }
                                                      view: { kind: macro, when: { event: view } }
                                                    experiments:
                                                      cta: { variants: { control: 50, bold: 50 }, primary: cart }
                                                    audiences:
                                                      carters: { did: [cart] }

                                                    """))
            #expect(plan.status == .ok || plan.status == .created)
            let rates = Self.json(try await client.execute(uri: "/api/v1/sites/n.example/rates", method: .get))
            if case .object(let o) = rates, case .array(let definitions)? = o["definitions"], case .object(let cart)? = definitions.first {
                #expect(o["persons"] == .number(1) && cart["completions"] == .number(1))
            } else {
                Issue.record("rates answer \(JSONWriter.write(rates))")
            }
            // Leads: ann (both visitors, identified after the fact) is the warmest and only member.
            let score = try await client.execute(uri: "/api/v1/sites/n.example/score", method: .get)
            #expect(score.status == .ok && String(buffer: score.body).contains(#""person":"ann""#), "\(String(buffer: score.body))")
            let members = try await client.execute(uri: "/api/v1/sites/n.example/audiences/carters/members?format=csv", method: .get)
            #expect(members.status == .ok && String(buffer: members.body).hasPrefix("person,user,score,last_activity,click_ids\nann,ann,1.00,"),
                    "\(String(buffer: members.body))")
            let attribution = try await client.execute(uri: "/api/v1/sites/n.example/attribution?macro=cart", method: .get)
            #expect(attribution.status == .ok && String(buffer: attribution.body).contains(#""conversions":1"#), "\(String(buffer: attribution.body))")
            let bidding = try await client.execute(uri: "/api/v1/sites/n.example/bidding", method: .get)
            #expect(bidding.status == .ok && String(buffer: bidding.body).contains(#""recommendation":"bid_on_micro""#), "\(String(buffer: bidding.body))")
            let ads = try await client.execute(uri: "/api/v1/sites/n.example/exports/ads?platform=meta", method: .get)
            #expect(ads.status == .ok && String(buffer: ads.body).hasPrefix(#"{"data":[]}"#), "\(String(buffer: ads.body))")
            // The dashboard reads ClickHouse for the pages it can; the others say why they cannot.
            let overview = try await client.execute(uri: "/sites/n.example", method: .get)
            #expect(overview.status == .ok)
            #expect(String(buffer: overview.body).contains("cart"), "\(String(buffer: overview.body))")
            for page in ["funnels", "predictors", "experiments", "plan", "leads", "attribution", "health"] {
                let response = try await client.execute(uri: "/sites/n.example/\(page)", method: .get)
                #expect(response.status == .ok, "\(page): \(String(buffer: response.body))")
            }
            // Tracking health from ClickHouse's counts: three human events that day, nothing to judge them against yet.
            let health = try await client.execute(uri: "/api/v1/sites/n.example/health?at=2026-11-02T12:00:00Z", method: .get)
            #expect(health.status == .ok && String(buffer: health.body).contains(#""status":"warming_up""#), "\(String(buffer: health.body))")
            let volumes = try await client.execute(uri: "/api/v1/sites/n.example/volumes?interval=day&from=2026-11-01&to=2026-11-04", method: .get)
            #expect(volumes.status == .ok && String(buffer: volumes.body).contains(#"{"kind":"event","name":"view","points":[{"at":"2026-11-01","count":0},{"at":"2026-11-02","count":2}"#), "\(String(buffer: volumes.body))")
            // Erasure reaches ClickHouse: the user, both visitors first linked to her, all three events.
            let erase = try await client.execute(uri: "/api/v1/sites/n.example/persons/v2", method: .delete)
            #expect(erase.status == .ok)
            let erased = Self.json(erase)
            if case .object(let o) = erased, case .object(let record)? = o["erased"] {
                #expect(record["events"] == .number(3) && record["visitors"] == .number(2) && record["users"] == .number(1))
            } else {
                Issue.record("erasure answer \(JSONWriter.write(erased))")
            }
            let after = Self.json(try await client.execute(uri: "/api/v1/sites/n.example/events?include_bots=true", method: .get))
            #expect(JSONWriter.write(after) == #"{"events":[],"site":"n.example"}"#)
            let again = try await client.execute(uri: "/api/v1/sites/n.example/persons/ann", method: .delete)
            #expect(again.status == .notFound)
            // The dashboard says where the answers are rather than "no events yet".
            let home = try await client.execute(uri: "/", method: .get)
            #expect(String(buffer: home.body).contains("This node keeps its events in ClickHouse"))
            #expect(String(buffer: home.body).contains("href=\"/sites/n.example\""), "\(String(buffer: home.body))")
            let log = try await client.execute(uri: "/api/v1/sites/n.example/erasures", method: .get)
            #expect(String(buffer: log.body).contains("\"events\":3"))
        }
    }

    @Test func cookielessVisitorsAreTheSameOnEveryNode() async throws {
        let endpoint = try ClickHouseServer.shared.endpoint("salts")
        _ = try await ClickHouseSchema(database: endpoint.database).migrate(ClickHouseClient(endpoint))
        // No visitor in the event: the node derives it from the day's salt, the address and the agent.
        let anonymous = #"{"site":"n.example","event":"view","user_agent":"\#(Self.agent)"}"#
        for node in [try Node(endpoint), try Node(endpoint)] {
            try await node.run { client in
                let sent = try await client.execute(uri: "/api/v1/events?cookieless=1", method: .post, headers: [.contentType: "application/json"],
                                                    body: ByteBuffer(string: anonymous))
                #expect(sent.status == .accepted)
            }
        }
        let counts = try await ClickHouseBackend(client: ClickHouseClient(endpoint)).eventCounts(EventCountsQuery(site: "n.example"))
        #expect(counts.events.map(\.events) == [2] && counts.events.map(\.persons) == [1])
        let salts = try await ClickHouseClient(endpoint).rows("SELECT count() FROM \(endpoint.database).salts")
        #expect(salts.first?.first == .number(1))
    }

    @Test func retentionDeletesOldEventsInClickHouseAndLogsTheRun() async throws {
        let endpoint = try ClickHouseServer.shared.endpoint("retention")
        let client = ClickHouseClient(endpoint)
        _ = try await ClickHouseSchema(database: endpoint.database).migrate(client)
        let node = try Node(endpoint)
        let enricher = EventEnricher()
        let now = Date(timeIntervalSince1970: 1_793_614_503)
        let day: Int64 = 86_400_000, t = Int64(now.timeIntervalSince1970 * 1000)
        let events = [(t - 40 * day, "old"), (t - 31 * day, "old"), (t - 29 * day, "kept"), (t - day, "kept")].map { time, name in
            enricher.enrich(CanonicalEvent(site: "n.example", name: name, visitor: "v", timestamp: time, userAgent: Self.agent))
        }
        _ = try await node.writer.append(events, received: t)
        let eraser = ClickHouseEraser(client: client), store = node.store
        let monitor = RetentionMonitor(store: node.store, retentionMillis: 30 * day) { cutoff in
            try await eraser.prune(before: cutoff, loggingTo: store)
        }
        let record = try await monitor.runOnce(now: now)
        #expect(record?.events == 2 && record?.kind == "retention")
        let counts = try await node.backend.eventCounts(EventCountsQuery(site: "n.example", includeBots: true))
        #expect(counts.events.map(\.event) == ["kept"] && counts.events.first?.events == 2)
        // Nothing old enough left: no run logged.
        #expect(try await monitor.runOnce(now: now) == nil)
        #expect(try node.store.erasures(site: nil).count == 1)
    }

    @Test func clickHouseAwayRefusesReportsAndKeepsEveryEvent() async throws {
        let endpoint = try ClickHouseServer.shared.endpoint("away")
        _ = try await ClickHouseSchema(database: endpoint.database).migrate(ClickHouseClient(endpoint))
        let away = try Node(try ClickHouseEndpoint(url: "http://127.0.0.1:9", database: endpoint.database))
        try await away.run { client in
            let sent = try await client.execute(uri: "/api/v1/events", method: .post, headers: [.contentType: "application/json"],
                                                body: ByteBuffer(string: Self.event("view", "v9", minute: 0)))
            #expect(sent.status == .ok || sent.status == .accepted)
            // A cookieless event needs the day's salt from ClickHouse: retry later, not a 400.
            let anonymous = try await client.execute(uri: "/api/v1/events?cookieless=1", method: .post, headers: [.contentType: "application/json"],
                                                     body: ByteBuffer(string: #"{"site":"n.example","event":"view"}"#))
            #expect(anonymous.status == .serviceUnavailable)
            let report = try await client.execute(uri: "/api/v1/sites/n.example/events", method: .get)
            #expect(report.status == .serviceUnavailable)
            #expect(String(buffer: report.body).contains("store_unavailable"))
        }
        #expect(away.writer.stats.spooled == 1)
        // The node comes back pointed at the live server, on its spool: the event arrives.
        let back = ClickHouseEventWriter(client: ClickHouseClient(endpoint), spoolPath: away.directory.appendingPathComponent("spool").path)
        #expect(await back.replaySpool() == 1)
        let counts = try await ClickHouseBackend(client: ClickHouseClient(endpoint)).eventCounts(EventCountsQuery(site: "n.example"))
        #expect(counts.events.map(\.events) == [1])
    }
}
