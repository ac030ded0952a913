import Foundation

/// The tables Stepwise owns in ClickHouse, as DDL in the SQL both ClickHouse 18.16 (Debian)
/// and current releases accept.
///
/// Events are stored by visitor, the person known when they arrive: who a visitor *is* can
/// change later (an identify), so the person is found at query time through `identities`,
/// where the first user a visitor was linked to wins, as in the embedded store. On a cluster both
/// tables are sharded by the same hash of (site, visitor), so each shard joins its own rows; the
/// per-person step merges across shards, and a person whose visitors landed on two shards is
/// still counted once.
public struct ClickHouseSchema: Sendable {
    /// Bumped with every change to the DDL; `migrate` applies the steps after the stored one.
    /// 2: `salts`, the cookieless daily salt shared by every node.
    /// 3: `plans` and `sites`, the tracking plans and registered sites shared by every node.
    /// 4: `monitors`, the election of the node that sends webhooks and alerts; `annotations` and
    ///    `ingest_tallies` (rejections), what health reads beside the events; `prop_kinds` now
    ///    tells arrays (4), objects (5) and nulls (6) apart, so an older node (which wrote 4 for
    ///    both and dropped nulls) must not write to it.
    public static let version = 4

    public var database: String
    /// A cluster name for `ON CLUSTER`, ReplicatedMergeTree and Distributed tables; nil for one server.
    public var cluster: String?

    /// A cluster name goes into DDL and queries as written: letters, digits, `_` and `-` only.
    public static func check(cluster: String) throws(ClickHouseError) {
        guard !cluster.isEmpty, cluster.utf8.count <= 128,
              cluster.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "_" || $0 == "-") })
        else { throw ClickHouseError.invalid(field: "--clickhouse-cluster", "'\(cluster)' must be letters, digits, _ and -") }
    }

    public init(database: String, cluster: String? = nil) {
        self.database = database
        self.cluster = cluster
    }

    /// The tables reports read: Distributed ones on a cluster. The identities joined to the events
    /// are the shard's own (same shard key), so the join runs where the events are.
    public var eventsTable: String { "\(database).events" }
    public var identitiesTable: String { cluster == nil ? "\(database).identities" : "\(database).identities_local" }

    static let eventColumns = """
        site String,
        key String,
        seq UInt64,
        id String,
        name String,
        visitor String,
        user String,
        timestamp Int64,
        received Int64,
        url String,
        referrer String,
        path String,
        props String,
        prop_keys Array(String),
        prop_values Array(String),
        prop_kinds Array(UInt8),
        prop_numbers Array(Float64),
        revenue Float64,
        currency String,
        user_agent String,
        timezone String,
        region String,
        source String,
        medium String,
        campaign String,
        channel UInt8,
        device UInt8,
        browser UInt8,
        os UInt8,
        bot UInt8,
        click_ids String
        """

    static let identityColumns = """
        site String,
        visitor String,
        user String,
        seq UInt64
        """

    /// Every statement, in order, for a fresh database; each is idempotent (`IF NOT EXISTS`).
    public var statements: [String] {
        let on = cluster.map { " ON CLUSTER \($0)" } ?? ""
        var out = ["CREATE DATABASE IF NOT EXISTS \(database)\(on)"]
        let partition = "PARTITION BY toYYYYMM(toDateTime(intDiv(timestamp, 1000)))"
        if let cluster {
            out.append("""
                CREATE TABLE IF NOT EXISTS \(database).events_local\(on) (
                \(Self.eventColumns.indented)
                ) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/\(database)/events_local', '{replica}')
                \(partition)
                ORDER BY (site, visitor, timestamp)
                """)
            out.append("""
                CREATE TABLE IF NOT EXISTS \(database).events\(on) AS \(database).events_local
                ENGINE = Distributed(\(cluster), \(database), events_local, cityHash64(site, visitor))
                """)
            out.append("""
                CREATE TABLE IF NOT EXISTS \(database).identities_local\(on) (
                \(Self.identityColumns.indented)
                ) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/\(database)/identities_local', '{replica}')
                ORDER BY (site, visitor)
                """)
            out.append("""
                CREATE TABLE IF NOT EXISTS \(database).identities\(on) AS \(database).identities_local
                ENGINE = Distributed(\(cluster), \(database), identities_local, cityHash64(site, visitor))
                """)
        } else {
            out.append("""
                CREATE TABLE IF NOT EXISTS \(database).events (
                \(Self.eventColumns.indented)
                ) ENGINE = MergeTree
                \(partition)
                ORDER BY (site, visitor, timestamp)
                """)
            out.append("""
                CREATE TABLE IF NOT EXISTS \(database).identities (
                \(Self.identityColumns.indented)
                ) ENGINE = MergeTree
                ORDER BY (site, visitor)
                """)
        }
        // Small tables every node reads whole: one full copy on each server of a cluster.
        // `merging`: how merges fold rows of one key (Replacing: the highest version; Summing: added up).
        func everywhere(_ table: String, _ columns: [String], orderBy: String, merging: (kind: String, column: String)? = nil) -> String {
            let kind = (merging?.kind ?? "") + "MergeTree"
            let engine = cluster == nil
                ? kind + (merging.map { "(\($0.column))" } ?? "")
                : "Replicated\(kind)('/clickhouse/tables/all/\(database)/\(table)', '{replica}'\(merging.map { ", \($0.column)" } ?? ""))"
            return """
                CREATE TABLE IF NOT EXISTS \(database).\(table)\(on) (
                \(columns.map { "    " + $0 }.joined(separator: ",\n"))
                ) ENGINE = \(engine)
                ORDER BY \(orderBy)
                """
        }
        out.append(everywhere("salts", ["day String", "salt String", "seq UInt64"], orderBy: "day"))
        out.append(everywhere("plans", ["site String", "yaml String", "seq UInt64"], orderBy: "(site, seq)"))
        out.append(everywhere("sites", ["name String", "settings String", "removed UInt8", "seq UInt64"], orderBy: "(name, seq)"))
        out.append(everywhere("monitors", ["node String", "started Int64", "seen Int64"], orderBy: "(node, started)", merging: ("Replacing", "seen")))
        out.append(everywhere("annotations", ["site String", "id Int64", "at Int64", "kind String", "text String"], orderBy: "(site, at, id)"))
        out.append(everywhere("ingest_tallies", ["site String", "day String", "code String", "count UInt64"], orderBy: "(site, day, code)",
                              merging: ("Summing", "count")))
        out.append(everywhere("schema_versions", ["version UInt32", "applied DateTime"], orderBy: "version"))
        out.append("INSERT INTO \(database).schema_versions (version, applied) VALUES (\(Self.version), now())")
        return out
    }

    /// The whole schema as a script for operators (`stepwise clickhouse schema`).
    public var script: String {
        statements.map { $0 + ";\n" }.joined(separator: "\n")
    }

    /// Brings the database to `version`: creates what is missing (on a cluster, `ON CLUSTER`
    /// through the server of `client`); a newer schema than this binary knows is refused, so an
    /// old node never writes rows a new schema does not expect.
    public func migrate(_ client: ClickHouseClient) async throws -> Int {
        let stored = try await storedVersion(client)
        if stored > Self.version { throw newer(stored) }
        if stored == Self.version { return stored }
        for statement in statements { try await client.execute(statement, database: false) }
        return Self.version
    }

    /// For a node on a cluster, whose DDL operators apply: the schema must be this binary's.
    public func verify(_ client: ClickHouseClient) async throws {
        let stored = try await storedVersion(client)
        if stored > Self.version { throw newer(stored) }
        if stored < Self.version {
            let apply = "apply it with `stepwise clickhouse migrate --clickhouse URL --clickhouse-database \(database)"
                + (cluster.map { " --clickhouse-cluster \($0)" } ?? "") + "` (or the DDL `stepwise clickhouse schema` prints)"
            throw ClickHouseError.invalid(field: "--clickhouse-database", stored == 0
                ? "\(database) has no Stepwise schema; \(apply)"
                : "\(database) has schema version \(stored), this stepwise needs \(Self.version); \(apply)")
        }
    }

    /// 0 when the database has no schema yet.
    private func storedVersion(_ client: ClickHouseClient) async throws -> Int {
        let exists = try await client.rows("SELECT count() FROM system.tables WHERE database = \(SQL.quote(database)) AND name = 'schema_versions'", database: false)
        guard exists.first?.first?.number ?? 0 > 0 else { return 0 }
        return Int(try await client.rows("SELECT max(version) FROM \(database).schema_versions", database: false).first?.first?.number ?? 0)
    }

    private func newer(_ stored: Int) -> ClickHouseError {
        .invalid(field: "--clickhouse-database", "\(database) has schema version \(stored); this stepwise knows up to \(Self.version): upgrade stepwise")
    }
}

extension String {
    fileprivate var indented: String {
        split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n")
    }
}
