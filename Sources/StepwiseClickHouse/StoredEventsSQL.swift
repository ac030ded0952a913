/// A site's stored events with every key once (the first row of it to arrive), for a query
/// that groups them: what tracking health and volumes count.
///
/// Ranking every row of a site by arrival (`ORDER BY seq LIMIT 1 BY key`) sorts the site and
/// hashes every key; at 10M events it was most of health's time. Duplicates are rare, so the
/// ranking is kept for the rows whose 64-bit key hash some other row shares (`sharedHashes`),
/// and every other row, unique by its hash alone, is taken as it is. Exact: a shared hash
/// only sends rows to the ranking, where keys are compared whole.
///
/// The shared-hash test goes in the outermost WHERE (`kept`): ClickHouse 18.16 runs an IN
/// subquery again for each analysis of the subqueries around it. On a cluster the sets are
/// `GLOBAL` (built once from every shard: a key resent with another visitor has rows on two).
struct StoredEventsSQL {
    var site: String
    var schema: ClickHouseSchema

    /// Rows with `projection` (expressions over an events row, aliased) and the two columns
    /// `kept` reads; select from it with `kept` ANDed into the WHERE.
    func rows(_ projection: String) -> String {
        let site = SQL.quote(self.site)
        return """
            SELECT \(projection), cityHash64(key) AS key_hash, 0 AS ranked
            FROM \(schema.eventsTable)
            WHERE site = \(site)
            UNION ALL
            SELECT \(projection), 0, 1
            FROM (
                SELECT *
                FROM \(schema.eventsTable)
                WHERE site = \(site) AND cityHash64(key) \(global)IN (\(sharedHashes))
                ORDER BY seq
                LIMIT 1 BY key
            )
            """
    }

    /// A row of `rows` that counts: ranked first of its key, or alone with its hash.
    var kept: String { "(ranked = 1 OR key_hash \(global)NOT IN (\(sharedHashes)))" }

    /// Key hashes held by more than one row of the site.
    var sharedHashes: String {
        "SELECT h FROM (SELECT cityHash64(key) AS h FROM \(schema.eventsTable) WHERE site = \(SQL.quote(site)) GROUP BY h HAVING count() > 1)"
    }

    var global: String { schema.cluster == nil ? "" : "GLOBAL " }
}
