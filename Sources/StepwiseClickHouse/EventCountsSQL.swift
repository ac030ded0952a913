import StepwiseEngine

/// Events, persons and sessions per event name (`EventCounter`) as one ClickHouse query:
/// sessions split over each person's whole run, then only events in the range counted.
struct EventCountsSQL {
    var query: EventCountsQuery
    var schema: ClickHouseSchema

    var text: String {
        let base = PersonEventsSQL(schema: schema, site: query.site, extras: ["name"], sessionTimeoutMillis: query.sessionTimeoutMillis,
                                   includeBots: query.includeBots)
        var range: [String] = []
        if let from = query.from { range.append("ts[i] >= \(from)") }
        if let to = query.to { range.append("ts[i] < \(to)") }
        let kept = range.isEmpty ? "idx" : "arrayFilter(i -> \(range.joined(separator: " AND ")), idx)"
        return """
            SELECT
                tupleElement(e, 1) AS event,
                count() AS events,
                uniqExact(person) AS persons,
                uniqExact(person, tupleElement(e, 2)) AS sessions
            FROM (
                SELECT person, arrayMap(i -> (tupleElement(ev[i], 5), sess[i]), \(kept)) AS counted
                FROM (
            \(base.text.indented(8))
                )
                WHERE \(PersonEventsSQL.keepsColumns(["ev", "ts", "sess"]))
            )
            ARRAY JOIN counted AS e
            GROUP BY event
            ORDER BY events DESC, event
            """
    }
}
