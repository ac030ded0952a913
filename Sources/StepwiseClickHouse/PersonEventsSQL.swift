/// The common inner part of every pushed-down report: each person of a site with their
/// events, as the embedded engine sees a person's run.
///
/// - A visitor's person is the first user it was linked to (`identities`, by `seq`), else
///   the visitor: a later identify re-attributes earlier events, as in the engine.
/// - A row stored twice (same `key`) counts once: the first to arrive, over the whole site,
///   so a resend under another visitor (a cookieless salt that rotated between two tries)
///   is dropped, as the embedded store refuses it at ingest (`laterCopies`).
/// - Events are in time order, ties in arrival order (`seq`).
/// - Bots: a person with any event's bot signal, or 30 events inside 10 seconds.
/// - Sessions split where the gap exceeds the plan's timeout.
///
/// The per-event tuple is `(timestamp, seq, key, bot, extras…)`: a report names its extras,
/// as expressions over one events row, and reads them as `tupleElement(x, 5…)`.
struct PersonEventsSQL {
    var schema: ClickHouseSchema
    var site: String
    /// Expressions over an events row, in tuple order after the four fixed elements.
    var extras: [String]
    var sessionTimeoutMillis: Int64
    var includeBots: Bool

    /// The engine's speed rule (`EventTableBuilder`): this many events inside the window.
    static let speedEvents = 30
    static let speedWindowMillis: Int64 = 10_000

    /// A WHERE condition that is always true but names columns of the subquery: ClickHouse
    /// 18.16 does not see columns used only inside lambdas and would drop them from it.
    static func keepsColumns(_ names: [String]) -> String {
        names.map { "length(\($0)) >= 0" }.joined(separator: " AND ")
    }

    /// A subquery of one row per person: `person`, `ev` (the tuples, sorted), `ts`, `idx`,
    /// `sess` (1-based session number per event) and `sess_first` (index of its session's
    /// first event). Bots are left out unless asked for.
    /// The site's event rows with each one's `person` (`u:USER` or `v:VISITOR`) and `columns`.
    func rows(_ columns: [String], where condition: String?) -> String {
        let site = SQL.quote(self.site)
        return """
            SELECT
                if(linked_user = '', concat('v:', visitor), concat('u:', linked_user)) AS person,
                \(columns.joined(separator: ",\n    "))
            FROM \(schema.eventsTable)
            ANY LEFT JOIN (
                SELECT visitor, argMin(user, seq) AS linked_user
                FROM \(schema.identitiesTable)
                WHERE site = \(site)
                GROUP BY visitor
            ) USING visitor
            WHERE site = \(site)\(condition.map { " AND " + $0 } ?? "")
                AND (key, seq, cityHash64(visitor, key)) \(stored.global)NOT IN (
            \(laterCopies.indented(8))
                )
            """
    }

    private var stored: StoredEventsSQL { StoredEventsSQL(site: site, schema: schema) }

    /// `(key, seq, visitor hash)` of every row that is not its key's first, nor the same row
    /// stored again (same seq and visitor: a retried insert, which a person's run drops by key):
    /// only keys whose hash is shared are looked at (`StoredEventsSQL`), and first means
    /// the lowest seq, then visitor, so nodes that gave one key the same seq still keep one.
    ///
    /// The visitor goes in hashed with the key: ClickHouse 18.16 builds an IN set whose left
    /// side names a primary key column (or one wrapped in a one-argument function) for the
    /// index, again at every analysis of the queries around it; that doubled the events report.
    private var laterCopies: String {
        """
            SELECT key, tupleElement(copy, 1), cityHash64(tupleElement(copy, 2), key)
            FROM (
                SELECT key, arraySort(groupUniqArray((seq, visitor))) AS copies
                FROM \(schema.eventsTable)
                WHERE site = \(SQL.quote(site)) AND cityHash64(key) \(stored.global)IN (\(stored.sharedHashes))
                GROUP BY key
            )
            ARRAY JOIN arraySlice(copies, 2) AS copy
            """
    }

    var text: String {
        let tuple = (["timestamp", "seq", "key", "bot"] + extras).joined(separator: ", ")
        return """
            SELECT
                person,
                ev,
                arrayMap(x -> tupleElement(x, 1), ev) AS ts,
                arrayEnumerate(ts) AS idx,
                arrayExists(x -> tupleElement(x, 4) != 0, ev)
                    OR arrayExists((t, i) -> i >= \(Self.speedEvents) AND t - ts[i - \(Self.speedEvents - 1)] <= \(Self.speedWindowMillis), ts, idx) AS is_bot,
                arrayCumSum(arrayMap((t, i) -> toUInt32(i = 1 OR t - ts[i - 1] > \(sessionTimeoutMillis)), ts, idx)) AS sess,
                arrayMap(s -> indexOf(sess, s), sess) AS sess_first
            FROM (
                SELECT
                    person,
                    arraySort(x -> (tupleElement(x, 1), tupleElement(x, 2)),
                        arrayFilter((x, n) -> n = 1, arrived, arrayEnumerateUniq(arrayMap(x -> tupleElement(x, 3), arrived)))) AS ev
                FROM (
            \(rows(["arraySort(x -> tupleElement(x, 2), groupArray((\(tuple)))) AS arrived"], where: nil).indented(8))
                    GROUP BY person
                )
            )\(includeBots ? "" : "\nWHERE NOT is_bot")
            """
    }
}
