import Foundation
import StepwiseCore
import StepwiseStorage

/// Erases a person from ClickHouse as the embedded store does (`EventStore.erase`): a user with
/// all the visitors first linked to them, or a visitor with their user; every event of those
/// visitors or sent with those users, and their identity links. Deletes are mutations, so the
/// erasure returns only once ClickHouse reports them done.
public struct ClickHouseEraser: RemoteErasure {
    public let client: ClickHouseClient
    public let schema: ClickHouseSchema

    public struct Erased: Sendable, Equatable {
        /// Every id the person was known by (visitors and users).
        public var keys: [String]
        public var visitors: Int
        public var users: Int
        public var events: Int
    }

    public init(client: ClickHouseClient, cluster: String? = nil) {
        self.client = client
        schema = ClickHouseSchema(database: client.endpoint.database, cluster: cluster)
    }

    /// Nil when the site knows no visitor or user of that id.
    public func erase(site: String, person: String, timeout: Duration = .seconds(120)) async throws -> Erased? {
        let db = schema.database, s = SQL.quote(site), p = SQL.quote(person)
        func strings(_ sql: String) async throws -> [String] { try await client.rows(sql).compactMap { $0.first?.string } }
        // Users: the id itself, and the user the visitor of that id was first linked to.
        var users = Set(try await strings("SELECT DISTINCT user FROM \(db).identities WHERE site = \(s) AND user = \(p)"))
        users.formUnion(try await strings("SELECT DISTINCT user FROM \(db).events WHERE site = \(s) AND user = \(p)"))
        users.formUnion(try await strings("""
            SELECT argMin(user, seq) AS first FROM \(db).identities WHERE site = \(s) AND visitor = \(p) GROUP BY visitor
            """).filter { !$0.isEmpty })
        var visitors = Set(try await strings("SELECT DISTINCT visitor FROM \(db).events WHERE site = \(s) AND visitor = \(p)"))
        visitors.formUnion(try await strings("SELECT DISTINCT visitor FROM \(db).identities WHERE site = \(s) AND visitor = \(p)"))
        if !users.isEmpty {
            let list = users.sorted().map(SQL.quote).joined(separator: ", ")
            visitors.formUnion(try await strings("""
                SELECT visitor FROM (SELECT visitor, argMin(user, seq) AS first FROM \(db).identities WHERE site = \(s) GROUP BY visitor)
                WHERE first IN (\(list))
                """))
        }
        guard !visitors.isEmpty || !users.isEmpty else { return nil }
        let visitorList = visitors.isEmpty ? "''" : visitors.sorted().map(SQL.quote).joined(separator: ", ")
        let userList = users.isEmpty ? "''" : users.sorted().map(SQL.quote).joined(separator: ", ")
        let condition = "site = \(s) AND (visitor IN (\(visitorList)) OR (user != '' AND user IN (\(userList))))"
        let events = Int(try await client.rows("SELECT count() FROM \(db).events WHERE \(condition)").first?.first?.number ?? 0)
        try await delete(["events": condition, "identities": condition], timeout: timeout)
        return Erased(keys: (visitors.union(users)).sorted(), visitors: visitors.count, users: users.count, events: events)
    }
}

extension ClickHouseEraser {
    /// Deletes rows of each table matching its condition (the `_local` tables on a cluster) and
    /// waits until ClickHouse reports the mutations done: on a cluster, on every shard (each runs
    /// its own), or a read through another server could still find the rows.
    func delete(_ conditions: [String: String], timeout: Duration) async throws {
        let db = schema.database
        let on = schema.cluster.map { " ON CLUSTER \($0)" } ?? ""
        let mutations = schema.cluster.map { "cluster(\(SQL.quote($0)), system, mutations)" } ?? "system.mutations"
        let local = schema.cluster == nil ? "" : "_local"
        for (table, condition) in conditions.sorted(by: { $0.key < $1.key }) {
            try await client.execute("ALTER TABLE \(db).\(table)\(local)\(on) DELETE WHERE \(condition)", database: false)
        }
        let tables = conditions.keys.sorted().map { SQL.quote($0 + local) }.joined(separator: ", ")
        let started = ContinuousClock.now
        while true {
            let pending = try await client.rows("""
                SELECT count() FROM \(mutations) WHERE database = \(SQL.quote(db)) AND table IN (\(tables)) AND is_done = 0
                """, database: false)
            if pending.first?.first?.number == 0 { return }
            guard ContinuousClock.now - started < timeout else {
                throw ClickHouseError.unreachable("the deletes are still running after \(timeout); they will finish in the background")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Retention: deletes every event older than `cutoff` (Unix ms), on every site; nil when none
    /// was. Identity links stay (they hold no events; a returning visitor keeps its person).
    public func prune(before cutoff: Int64, loggingTo store: StepwiseStorage.EventStore) async throws -> StepwiseStorage.ErasureRecord? {
        let condition = "timestamp < \(cutoff)"
        let events = Int(try await client.rows("SELECT count() FROM \(schema.database).events WHERE \(condition)").first?.first?.number ?? 0)
        guard events > 0 else { return nil }
        try await delete(["events": condition], timeout: .seconds(600))
        return try await store.recordRetention(visitors: 0, users: 0, events: events)
    }

    /// Erases the person in ClickHouse, then logs it (hash and counts) in the node's own store.
    public func erase(site: String, person: String, loggingTo store: StepwiseStorage.EventStore) async throws -> StepwiseStorage.ErasureRecord? {
        guard let erased = try await erase(site: site, person: person) else { return nil }
        return try await store.recordErasure(site: site, person: person, keys: erased.keys, visitors: erased.visitors, users: erased.users,
                                             events: erased.events)
    }
}
