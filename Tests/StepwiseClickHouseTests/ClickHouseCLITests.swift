import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import StepwiseClickHouse
import StepwiseCore
import StepwiseEngine
import Testing

/// The built `stepwise` binary against the suite's ClickHouse: reports and erasure from the CLI.
@Suite struct ClickHouseCLITests {
    @Test func reportsAndErasureRunFromTheCommandLine() async throws {
        let endpoint = try ClickHouseServer.shared.endpoint("cli")
        let client = ClickHouseClient(endpoint)
        _ = try await ClickHouseSchema(database: endpoint.database).migrate(client)
        let writer = ClickHouseEventWriter(client: client, spoolPath: NSTemporaryDirectory() + "cli-\(UUID().uuidString).spool")
        let enricher = EventEnricher()
        let agent = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"
        let events = [("view", "v1", 0), ("cart", "v1", 60_000), ("view", "v2", 0)].map { name, visitor, offset in
            enricher.enrich(CanonicalEvent(site: "c.example", name: name, visitor: visitor, timestamp: 1_793_614_503_120 + Int64(offset), userAgent: agent))
        }
        _ = try await writer.append(events, received: 1)
        let db = NSTemporaryDirectory() + "cli-\(UUID().uuidString).db"
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + suffix) } }
        let ch = ["--clickhouse", endpoint.url, "--clickhouse-database", endpoint.database, "--db", db]
        let funnel = try stepwise(arguments: ["report", "funnel", "--site", "c.example", "--steps", "view,cart", "--format", "csv"] + ch)
        #expect(funnel.status == 0)
        #expect(funnel.stdout.contains(",view,2,") && funnel.stdout.contains(",cart,1,"), "\(funnel.stdout)\(funnel.stderr)")
        let erase = try stepwise(arguments: ["erase", "--site", "c.example", "--person", "v1"] + ch)
        #expect(erase.status == 0)
        #expect(erase.stdout.hasPrefix("erased 2 events, 1 visitor ids and 0 user ids of one person on c.example"))
        let counts = try stepwise(arguments: ["report", "events", "--site", "c.example", "--format", "csv"] + ch)
        #expect(counts.stdout == "event,events,persons,sessions\nview,1,1,1\n")
        // The same settings from a config file instead of flags; a misspelt setting is refused.
        let config = NSTemporaryDirectory() + "cli-\(UUID().uuidString).conf.yml"
        defer { try? FileManager.default.removeItem(atPath: config) }
        try "clickhouse:\n  url: \(endpoint.url)\n  database: \(endpoint.database)\n".write(toFile: config, atomically: true, encoding: .utf8)
        let configured = try stepwise(arguments: ["report", "events", "--site", "c.example", "--format", "csv", "--config", config, "--db", db])
        #expect(configured.stdout == "event,events,persons,sessions\nview,1,1,1\n", "\(configured.stdout)\(configured.stderr)")
        try "clickhouse:\n  host: x\n".write(toFile: config, atomically: true, encoding: .utf8)
        let misspelt = try stepwise(arguments: ["report", "events", "--site", "c.example", "--config", config, "--db", db])
        #expect(misspelt.status == 2 && misspelt.stderr.contains("clickhouse.host is not a setting"), "\(misspelt.stderr)")
        let plan = NSTemporaryDirectory() + "cli-\(UUID().uuidString).yml"
        defer { try? FileManager.default.removeItem(atPath: plan) }
        try """
            site: c.example
            conversions:
              viewed: { kind: micro, when: { event: view } }
              carted: { kind: macro, when: { event: cart } }
            experiments:
              cta: { variants: { control: 50, bold: 50 }, primary: viewed }
            audiences:
              lookers: { did: [viewed], not: [carted] }
            """.write(toFile: plan, atomically: true, encoding: .utf8)
        let rates = try stepwise(arguments: ["report", "rates", "--site", "c.example", "--plan", plan, "--format", "json"] + ch)
        #expect(rates.status == 0, "\(rates.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(rates.stdout.utf8)) as? [String: Any]
        let definitions = report?["definitions"] as? [[String: Any]]
        #expect(report?["persons"] as? Int == 1 && definitions?.first?["completions"] as? Int == 1, "\(rates.stdout)")
        // v2 is left after the erasure: viewed, never carted.
        let predict = try stepwise(arguments: ["report", "predict", "--site", "c.example", "--plan", plan, "--format", "csv"] + ch)
        #expect(predict.status == 0, "\(predict.stderr)")
        #expect(predict.stdout.contains("\nviewed,1,"), "\(predict.stdout)")
        let experiment = try stepwise(arguments: ["report", "experiment", "cta", "--site", "c.example", "--plan", plan, "--format", "json"] + ch)
        #expect(experiment.status == 0 && experiment.stdout.contains("\"experiment\" : \"cta\""), "\(experiment.stdout)\(experiment.stderr)")
        let paths = try stepwise(arguments: ["report", "paths", "--site", "c.example", "--plan", plan, "--format", "json"] + ch)
        #expect(paths.status == 0 && paths.stdout.contains("\"persons\" : 1"), "\(paths.stdout)\(paths.stderr)")
        let volumes = try stepwise(arguments: ["report", "volumes", "--site", "c.example", "--plan", plan, "--interval", "hour",
                                               "--from", "2026-11-02T10:00:00Z", "--to", "2026-11-02T11:00:00Z", "--format", "csv"] + ch)
        #expect(volumes.status == 0 && volumes.stdout.contains("\nviewed,definition,1,1") && volumes.stdout.contains("\nview,event,1,1"),
                "\(volumes.stdout)\(volumes.stderr)")
        let score = try stepwise(arguments: ["report", "score", "--site", "c.example", "--plan", plan, "--format", "csv"] + ch)
        #expect(score.status == 0 && score.stdout.contains("\nv2,,1.00,"), "\(score.stdout)\(score.stderr)")
        let audiences = try stepwise(arguments: ["audience", "list", "--site", "c.example", "--plan", plan, "--format", "csv"] + ch)
        #expect(audiences.status == 0 && audiences.stdout.contains("\nlookers,1,"), "\(audiences.stdout)\(audiences.stderr)")
        let members = try stepwise(arguments: ["audience", "export", "lookers", "--site", "c.example", "--plan", plan, "--format", "csv"] + ch)
        #expect(members.status == 0 && members.stdout.contains("\nv2,,1.00,"), "\(members.stdout)\(members.stderr)")
        let unknown = try stepwise(arguments: ["audience", "members", "nope", "--site", "c.example", "--plan", plan] + ch)
        #expect(unknown.status != 0 && unknown.stderr.contains("NAME: 'nope' is not an audience"), "\(unknown.stderr)")
        let attribution = try stepwise(arguments: ["report", "attribution", "--site", "c.example", "--plan", plan, "--format", "json"] + ch)
        #expect(attribution.status == 0 && attribution.stdout.contains("\"channel\" : \"Direct\""), "\(attribution.stdout)\(attribution.stderr)")
        let bidding = try stepwise(arguments: ["report", "bidding", "--site", "c.example", "--plan", plan, "--format", "csv"] + ch)
        #expect(bidding.status == 0 && bidding.stdout.contains("\ncarted,0,bid_on_micro,"), "\(bidding.stdout)\(bidding.stderr)")
        let ads = try stepwise(arguments: ["export", "ads", "--platform", "google", "--conversion", "viewed", "--site", "c.example", "--plan", plan] + ch)
        #expect(ads.status == 0 && ads.stdout.hasPrefix("Google Click ID,") && ads.stderr.contains("1 skipped without a gclid"), "\(ads.stdout)\(ads.stderr)")
        let note = try stepwise(arguments: ["annotate", "release 7", "--site", "c.example", "--kind", "deploy", "--at", "2026-11-02T10:00:00Z"] + ch)
        #expect(note.status == 0 && note.stdout.contains("deploy “release 7”"), "\(note.stdout)\(note.stderr)")
        let health = try stepwise(arguments: ["report", "health", "--site", "c.example", "--plan", plan, "--to", "2026-11-02T12:00:00Z"] + ch)
        #expect(health.status == 0 && health.stdout.hasPrefix("c.example: warming up, 0 open") && health.stdout.contains("0 series judged, 2 warming up")
                && health.stdout.contains("annotation 2026-11-02T10:00:00.000Z deploy: release 7"),
                "\(health.stdout)\(health.stderr)")
        let badMacro = try stepwise(arguments: ["report", "predict", "--site", "c.example", "--plan", plan, "--macro", "nope"] + ch)
        #expect(badMacro.status != 0 && badMacro.stderr.contains("--macro"), "\(badMacro.stderr)")
        let noPlan = try stepwise(arguments: ["report", "rates", "--site", "c.example"] + ch)
        #expect(noPlan.status != 0 && noPlan.stderr.contains("has no tracking plan"), "\(noPlan.stderr)")
    }

    /// What an operator does with a cluster: serve refuses a database without the schema, `clickhouse
    /// migrate --clickhouse-cluster` creates it on every shard, a real `serve` on shard 2's server
    /// takes events, and a report through shard 1's server counts them.
    @Test func aClusterIsMigratedServedAndReportedFromTheCommandLine() async throws {
        let server = ClickHouseServer.cluster
        let endpoints = try server.endpoints("clicluster"), database = endpoints[0].database
        let db = NSTemporaryDirectory() + "cli-\(UUID().uuidString).db"
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + suffix) } }
        let on = ["--clickhouse-database", database, "--clickhouse-cluster", server.cluster!]
        let refused = try stepwise(arguments: ["serve", "--clickhouse", endpoints[1].url, "--db", db, "--port", "0"] + on)
        #expect(refused.status != 0 && refused.stderr.contains("\(database) has no Stepwise schema; apply it with `stepwise clickhouse migrate"),
                "\(refused.stderr)")
        let migrate = try stepwise(arguments: ["clickhouse", "migrate", "--clickhouse", endpoints[0].url] + on)
        #expect(migrate.status == 0 && migrate.stdout.contains("schema version \(ClickHouseSchema.version)"), "\(migrate.stdout)\(migrate.stderr)")
        for endpoint in endpoints {
            let engines = try await ClickHouseClient(endpoint).rows("SELECT name, engine FROM system.tables WHERE database = '\(database)' AND name LIKE 'events%' ORDER BY name")
            #expect(engines == [[.string("events"), .string("Distributed")], [.string("events_local"), .string("ReplicatedMergeTree")]], "\(engines)")
        }
        let node = Process()
        node.executableURL = binary
        node.arguments = ["serve", "--open-sites", "--clickhouse", endpoints[1].url, "--db", db, "--port", "0",
                          "--clickhouse-spool", db + ".spool"] + on
        let output = Pipe()
        node.standardOutput = output
        node.standardError = FileHandle.nullDevice
        try node.run()
        defer { node.terminate(); node.waitUntilExit(); try? FileManager.default.removeItem(atPath: db + ".spool") }
        var banner = ""
        while !banner.contains("\n"), case let data = output.fileHandleForReading.availableData, !data.isEmpty {
            banner += String(decoding: data, as: UTF8.self)
        }
        let port = try #require(banner.firstMatch(of: /127\.0\.0\.1:(\d+)\//).map { String($0.1) }, "\(banner)")
        // Two posts, so the second finds shard 2's send queue asleep. Acknowledged means stored on
        // every shard: both servers read every event at once (an asynchronous Distributed insert
        // would still hold shard 1's rows in shard 2's queue).
        let events = Self.clusterEvents
        for (posted, half) in [(15, events[..<15]), (30, events[15...])] {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/api/v1/events")!)
            request.httpMethod = "POST"
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = Data(#"{"batch":[\#(half.joined(separator: ","))]}"#.utf8)
            let (body, response) = try await URLSession.shared.data(for: request)
            #expect((response as? HTTPURLResponse)?.statusCode == 202, "\(String(decoding: body, as: UTF8.self))")
            for endpoint in endpoints {
                let stored = try await ClickHouseClient(endpoint).rows("SELECT count(), (SELECT count() FROM \(database).events_local) FROM \(database).events")
                #expect(stored.first?.first == .number(Double(posted)) && stored.first?.last != .number(0), "every shard holds some: \(stored)")
            }
        }
        let funnel = try stepwise(arguments: ["report", "funnel", "--site", "k.example", "--steps", "view,cart", "--format", "csv",
                                              "--clickhouse", endpoints[0].url, "--db", db + "-cli"] + on)
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + "-cli" + suffix) } }
        #expect(funnel.status == 0 && funnel.stdout.contains(",view,20,") && funnel.stdout.contains(",cart,10,"), "\(funnel.stdout)\(funnel.stderr)")
    }

    /// 20 visitors view, every second one then adds to the cart.
    static var clusterEvents: [String] {
        let agent = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"
        return (0..<20).flatMap { v in
            (v % 2 == 0 ? ["view", "cart"] : ["view"]).enumerated().map { k, name in
                #"{"site":"k.example","event":"\#(name)","visitor":"v\#(v)","timestamp":"2026-11-02T10:0\#(k):00Z","user_agent":"\#(agent)"}"#
            }
        }
    }

    var binary: URL {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("stepwise")
    }

    func stepwise(arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile(), stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }
}
