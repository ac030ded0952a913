import Foundation
import NIOCore
import StepwiseCore
import StepwiseStorage

/// What tracking health reads beside the events, in ClickHouse, so every node reports the
/// same: annotations (`annotations`; an id is the time it was stored, in microseconds), the
/// events each node rejected per site, day and code (`ingest_tallies`, summed), and accepted
/// events and duplicates counted from the events themselves: by the UTC day a row arrived,
/// the first row of a key is accepted and any later one a duplicate, as the embedded store
/// counts a resent id.
public struct ClickHouseHealthFacts: SharedHealthFacts {
    public let client: ClickHouseClient
    public let schema: ClickHouseSchema

    public init(client: ClickHouseClient, cluster: String? = nil) {
        self.client = client
        schema = ClickHouseSchema(database: client.endpoint.database, cluster: cluster)
    }

    private var database: String { client.endpoint.database }

    public func annotations(site: String, from: Int64?, to: Int64?) async throws -> [Annotation] {
        var conditions = ["site = \(SQL.quote(site))"]
        if let from { conditions.append("at >= \(from)") }
        if let to { conditions.append("at < \(to)") }
        let rows = try await client.rows("""
            SELECT id, at, kind, text FROM \(database).annotations
            WHERE \(conditions.joined(separator: " AND "))
            ORDER BY at, id
            """)
        return try rows.map { row in
            guard row.count == 4, let id = row[0].number, let at = row[1].number, let kind = row[2].string, let text = row[3].string else {
                throw ClickHouseError.malformed("annotation row \(row)")
            }
            return Annotation(id: Int64(id), site: site, at: Int64(at), kind: kind, text: text)
        }
    }

    public func addAnnotation(_ annotation: Annotation) async throws -> Annotation {
        var stored = annotation
        stored.id = Int64(Date().timeIntervalSince1970 * 1_000_000)
        var row: [UInt8] = []
        row.write("{\"site\":"); JSONWriter.writeString(stored.site, into: &row)
        row.write(",\"id\":\(stored.id),\"at\":\(stored.at),\"kind\":"); JSONWriter.writeString(stored.kind, into: &row)
        row.write(",\"text\":"); JSONWriter.writeString(stored.text, into: &row)
        row.write("}\n")
        try await client.execute("INSERT INTO \(database).annotations FORMAT JSONEachRow", body: ByteBuffer(bytes: row))
        return stored
    }

    public func addRejections(_ counts: [IngestCount]) async throws {
        guard !counts.isEmpty else { return }
        var rows: [UInt8] = []
        for count in counts {
            rows.write("{\"site\":"); JSONWriter.writeString(count.site, into: &rows)
            rows.write(",\"day\":"); JSONWriter.writeString(count.day, into: &rows)
            rows.write(",\"code\":"); JSONWriter.writeString(count.code, into: &rows)
            rows.write(",\"count\":\(count.count)}\n")
        }
        try await client.execute("INSERT INTO \(database).ingest_tallies FORMAT JSONEachRow", body: ByteBuffer(bytes: rows))
    }

    public func ingestTallies(site: String, since: Int64) async throws -> [IngestTally] {
        let from = Timestamp.floorDivMod(since, 86_400_000).0 * 86_400_000
        var tallies: [IngestTally] = []
        for row in try await client.rows(sql(site: site, from: from)) {
            guard row.count == 3, let day = row[0].string, let code = row[1].string, let count = row[2].number else {
                throw ClickHouseError.malformed("ingest tally row \(row)")
            }
            if count > 0 { tallies.append(IngestTally(day: day, code: code, count: Int(count))) }
        }
        return tallies.sorted { ($0.day, $0.code) < ($1.day, $1.code) }
    }

    /// Rows `(day, code, count)` from the UTC day starting at `from`: accepted and duplicate rows
    /// per arrival day, and the nodes' rejections. A row alone with its key hash is accepted;
    /// the rows of a shared hash are ranked among all rows of their key (`StoredEventsSQL`).
    func sql(site: String, from: Int64) -> String {
        let stored = StoredEventsSQL(site: site, schema: schema)
        let site = SQL.quote(site)
        let day = { (millis: String) in "toString(toDate(toDateTime(intDiv(\(millis), 1000)), 'UTC'))" }
        return """
            SELECT day, code, toUInt64(sum(n)) AS count
            FROM (
                SELECT \(day("received")) AS day, 'accepted' AS code, toUInt64(1) AS n, cityHash64(key) AS key_hash, 0 AS ranked
                FROM \(schema.eventsTable)
                WHERE site = \(site) AND received >= \(from)
                UNION ALL
                SELECT \(day("tupleElement(r, 2)")), if(tupleElement(r, 1) = first, 'accepted', 'duplicate'), toUInt64(1), 0, 1
                FROM (
                    SELECT min(seq) AS first, groupArray((seq, received)) AS rows
                    FROM \(schema.eventsTable)
                    WHERE site = \(site) AND cityHash64(key) \(stored.global)IN (\(stored.sharedHashes))
                    GROUP BY key
                )
                ARRAY JOIN rows AS r
                WHERE tupleElement(r, 2) >= \(from)
                UNION ALL
                SELECT day, code, count, 0, 1
                FROM \(database).ingest_tallies
                WHERE site = \(site) AND day >= \(SQL.quote(Timestamp.formatDay(from)))
            )
            WHERE \(stored.kept)
            GROUP BY day, code
            ORDER BY day, code
            """
    }
}
