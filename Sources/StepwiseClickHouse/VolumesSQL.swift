import StepwiseEngine
import StepwisePlan

/// Volumes as one ClickHouse query, counted as the embedded store keeps them (`VolumeIndex`):
/// every stored event once (the first row of each key), events with a bot signal of their own
/// left out (a person found to be a bot by speed alone stays in), each event's UTC hour taken
/// whole; per bucket, events per name and per watched definition's event-level conditions.
/// Rows: `(series, bucket, events)` with series `e:NAME` or `d:INDEX`, the bucket an hour number
/// or a local day number.
struct VolumesSQL {
    var site: String
    var plan: TrackingPlan
    var layout: VolumeReader.Layout
    var schema: ClickHouseSchema

    /// The series an events row counts in: `e:NAME` and `d:INDEX` for each watched definition
    /// whose event-level conditions it meets.
    static func series(plan: TrackingPlan) -> String {
        let definitions = HealthQuery.watchedDefinitions(of: plan).enumerated().map { k, definition in
            "if(\(MatcherSQL.condition(definition.when)), 'd:\(k)', '')"
        }
        return "arrayFilter(s -> s != '', [concat('e:', name)\(definitions.map { ", " + $0 }.joined())])"
    }

    /// Every stored event of a site once: the first row of each key to arrive.
    static func stored(site: String, schema: ClickHouseSchema) -> String {
        """
        SELECT *
        FROM \(schema.eventsTable)
        WHERE site = \(SQL.quote(site))
        ORDER BY seq
        LIMIT 1 BY key
        """
    }

    var text: String {
        var conditions = ["bot = 0", "hour * 3600000 >= \(layout.first)", "hour * 3600000 < \(layout.to)"]
        if let device = layout.device { conditions.append("device = \(device)") }
        if let browser = layout.browser { conditions.append("browser = \(browser)") }
        let bucket = layout.interval == .hour ? "hour" : SQL.localDay("hour * 3600000", layout.calendar)
        return """
            SELECT series, \(bucket) AS bucket, count() AS events
            FROM (
                SELECT intDiv(timestamp, 3600000) AS hour, \(Self.series(plan: plan)) AS all_series, bot, device, browser
                FROM (
            \(Self.stored(site: site, schema: schema).indented(8))
                )
            )
            ARRAY JOIN all_series AS series
            WHERE \(conditions.joined(separator: " AND "))
            GROUP BY series, bucket
            ORDER BY series, bucket
            """
    }
}
