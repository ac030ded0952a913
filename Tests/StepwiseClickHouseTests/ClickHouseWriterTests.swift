import Foundation
@testable import StepwiseClickHouse
import StepwiseCore
import StepwiseEngine
import Testing

/// The writer's promises: acknowledged means stored or spooled; a spool is replayed in full
/// when ClickHouse is back; rows stored twice count once.
@Suite struct ClickHouseWriterTests {
    static func events(_ n: Int, site: String = "w", id: (Int) -> String? = { _ in nil }) -> [EnrichedEvent] {
        let enricher = EventEnricher()
        return (0..<n).map { k in
            enricher.enrich(CanonicalEvent(id: id(k), site: site, name: k % 2 == 0 ? "view" : "cart", visitor: "v\(k / 2)",
                                           timestamp: 1_793_614_503_120 + Int64(k) * 1000, url: "https://w.example/p",
                                           userAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"))
        }
    }

    static func count(_ client: ClickHouseClient, site: String = "w", cluster: String? = nil) async throws -> [String: Int] {
        let report = try await ClickHouseBackend(client: client, cluster: cluster).eventCounts(EventCountsQuery(site: site))
        return Dictionary(uniqueKeysWithValues: report.events.map { ($0.event, $0.events) })
    }

    /// The row as ClickHouse reads it, pinned: escapes, every prop kind with its numeric reading
    /// (a numeric string counts, NaN for none), both kinds of key, revenue, the enriched columns.
    @Test func aRowIsWrittenAsExactJSONEachRow() {
        let props = JSONObject(keys: ["n", "s", "b", "z", "l"], values: [.number(-1.5), .string("49"), .bool(true), .null, .array([.number(1)])])
        let event = EventEnricher().enrich(CanonicalEvent(
            id: "a\"b\u{1}é", site: "w", name: "buy", visitor: "v1", user: "u", timestamp: 1_793_614_503_120,
            url: "https://w.example/p?utm_source=news", props: props, revenue: Revenue(amount: 12.5, currency: "EUR"),
            userAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"))
        var row: [UInt8] = []
        ClickHouseRow.append(event, key: .id(event.event.id!), seq: 7, received: 1_793_614_600_000, into: &row)
        let expected = #"""
            {"site":"w","key":"i:a\"b\u0001é","seq":7,"id":"a\"b\u0001é","name":"buy","visitor":"v1","user":"u","timestamp":1793614503120,"received":1793614600000,"url":"https://w.example/p?utm_source=news","referrer":"","path":"/p","props":"{\"n\":-1.5,\"s\":\"49\",\"b\":true,\"z\":null,\"l\":[1]}","prop_keys":["n","s","b","z","l"],"prop_values":["-1.5","49","true","null","[1]"],"prop_kinds":[2,1,3,6,4],"prop_numbers":[-1.5,49.0,"nan","nan","nan"],"revenue":12.5,"currency":"EUR","user_agent":"Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0","timezone":"","region":"(unknown)","source":"news","medium":"(not set)","campaign":"","channel":9,"device":1,"browser":3,"os":5,"bot":0,"click_ids":""}
            """#
        #expect(String(decoding: row, as: UTF8.self) == expected + "\n")
        var keyed: [UInt8] = []
        ClickHouseRow.append(event, key: .node("n1"), seq: 18_446_744_073_709_551_615, received: 0, into: &keyed)
        #expect(String(decoding: keyed, as: UTF8.self).hasPrefix(#"{"site":"w","key":"n:n1:18446744073709551615","seq":18446744073709551615,"#))
        var integers: [UInt8] = []
        for n in [Int64.min, -7, 0, 10, Int64.max] { integers.write(integer: n); integers.append(0x20) }
        #expect(String(decoding: integers, as: UTF8.self) == "-9223372036854775808 -7 0 10 9223372036854775807 ")
    }

    @Test func batchesAreStoredBeforeTheyAreAcknowledged() async throws {
        let client = ClickHouseClient(try ClickHouseServer.shared.endpoint("batches"))
        _ = try await ClickHouseSchema(database: client.endpoint.database).migrate(client)
        var limits = ClickHouseEventWriter.Limits()
        limits.maxRows = 1_000
        limits.maxDelay = .seconds(30)
        let writer = ClickHouseEventWriter(client: client, spoolPath: NSTemporaryDirectory() + "spool-\(UUID().uuidString)", limits: limits)
        // Two callers fill one batch of 1,000 rows: it is inserted at once, not after the 30 s bound.
        async let a = writer.append(Self.events(600), received: 1)
        async let b = writer.append(Self.events(400, site: "w2"), received: 1)
        let outcomes = try await (a, b)
        #expect(outcomes.0.count == 600 && outcomes.1.count == 400)
        #expect(writer.stats.batches == 1 && writer.stats.rows == 1_000)
        #expect(try await Self.count(client) == ["view": 300, "cart": 300])
        #expect(try await Self.count(client, site: "w2") == ["view": 200, "cart": 200])
    }

    @Test func aDownClickHouseSpoolsAndTheSpoolIsReplayedOnce() async throws {
        let live = try ClickHouseServer.shared.endpoint("spool")
        let client = ClickHouseClient(live)
        _ = try await ClickHouseSchema(database: live.database).migrate(client)
        // The same database behind a port nobody listens on: ClickHouse "down".
        let down = ClickHouseClient(try ClickHouseEndpoint(url: "http://127.0.0.1:9", database: live.database))
        let spool = NSTemporaryDirectory() + "spool-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: spool); try? FileManager.default.removeItem(atPath: spool + ".replaying") }
        var limits = ClickHouseEventWriter.Limits()
        limits.maxDelay = .milliseconds(1)
        limits.backoff = .milliseconds(1)
        let offline = ClickHouseEventWriter(client: down, spoolPath: spool, limits: limits)
        let outcomes = try await offline.append(Self.events(10, id: { "e\($0)" }), received: 1)
        #expect(outcomes == Array(repeating: .stored, count: 10))
        #expect(offline.stats.spooled == 10 && offline.stats.retries == 3)
        try await offline.identify(site: "w", visitor: "v0", user: "ann")
        #expect(offline.spooledBytes > 0)
        #expect(await offline.replaySpool() == 0)  // still down: nothing lost, nothing sent
        #expect(try await Self.count(client) == [:])

        // A torn frame at the end (a crash mid-write, never acknowledged) is left out.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: spool + ".replaying"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("#batch 900 0\n{\"site\":\"w\"".utf8))
        try handle.close()

        // Back up (a restarted node on the same spool): replayed, then the file is gone.
        let restarted = ClickHouseEventWriter(client: client, spoolPath: spool, limits: limits)
        #expect(await restarted.replaySpool() == 2)
        #expect(restarted.spooledBytes == 0)
        #expect(try await Self.count(client) == ["view": 5, "cart": 5])
        // A replay that ran twice (crash before the file was removed) counts each event once.
        _ = try await restarted.append(Self.events(10, id: { "e\($0)" }), received: 2)
        #expect(try await Self.count(client) == ["view": 5, "cart": 5])
        let persons = try await client.rows("SELECT count() FROM \(live.database).identities WHERE user = 'ann'")
        #expect(persons.first?.first?.number == 1)
    }

    /// A cluster with a shard down: the batch cannot be stored on every shard, so it goes to the
    /// spool (never to a queue on the server that took it), and is delivered in full once the
    /// writer reaches a cluster whose shards all answer.
    @Test func aShardThatIsDownSendsTheBatchToTheSpool() async throws {
        let server = ClickHouseServer.cluster
        let cluster = try #require(server.cluster)
        let live = ClickHouseClient(try server.endpoint("shard_down"))
        _ = try await server.createSchema(live)
        // Distributed tables over the same shard 1 tables, on a cluster whose shard 2 never answers.
        let half = live.endpoint.database + "_lost"
        try await live.execute("CREATE DATABASE \(half)", database: false)
        for table in ["events", "identities"] {
            try await live.execute("""
                CREATE TABLE \(half).\(table) AS \(live.endpoint.database).\(table)_local
                ENGINE = Distributed(\(cluster)_lost_shard, \(live.endpoint.database), \(table)_local, cityHash64(site, visitor))
                """, database: false)
        }
        let spool = NSTemporaryDirectory() + "spool-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: spool); try? FileManager.default.removeItem(atPath: spool + ".replaying") }
        var limits = ClickHouseEventWriter.Limits()
        limits.maxDelay = .milliseconds(1)
        limits.backoff = .milliseconds(1)
        let degraded = ClickHouseEventWriter(client: ClickHouseClient(try ClickHouseEndpoint(url: server.url, database: half)),
                                             spoolPath: spool, limits: limits)
        let events = Self.events(40, id: { "s\($0)" })
        let outcomes = try await degraded.append(events, received: 1)
        #expect(outcomes == Array(repeating: .stored, count: 40))
        #expect(degraded.stats.spooled == 40 && degraded.stats.retries == 3)

        let whole = ClickHouseEventWriter(client: live, spoolPath: spool, limits: limits)
        #expect(await whole.replaySpool() == 1)
        #expect(try await Self.count(live, cluster: cluster) == ["view": 20, "cart": 20])
    }
}
