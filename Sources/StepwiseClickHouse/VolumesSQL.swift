import StepwiseEngine
import StepwisePlan

/// Volumes as one ClickHouse query, counted as the embedded store keeps them (`VolumeIndex`):
/// every stored event once (the first row of each key, `StoredEventsSQL`), events with a bot
/// signal of their own left out (a person found to be a bot by speed alone stays in), each
/// event's UTC hour taken whole; per bucket, events per name and per watched definition's event-level conditions.
/// Rows: `(series, bucket, events)` with series `e:NAME` or `d:INDEX`, the bucket an hour number
/// or a local day number.
struct VolumesSQL {
    var site: String
    var plan: TrackingPlan
    var layout: VolumeReader.Layout
    var schema: ClickHouseSchema

    /// The series an events row counts in, as numbers (building strings for every row was
    /// most of the series' cost): `eventSeries` for `e:NAME`, and the index of each watched
    /// definition whose event-level conditions it meets; `seriesName` names them once grouped.
    static func series(plan: TrackingPlan) -> String {
        let none = "toUInt32(\(noSeries))"
        let definitions = HealthQuery.watchedDefinitions(of: plan).enumerated().map { k, definition in
            "if(\(MatcherSQL.condition(definition.when)), toUInt32(\(k)), \(none))"
        }
        return "arrayFilter(s -> s != \(noSeries), [toUInt32(\(eventSeries))\(definitions.map { ", " + $0 }.joined())])"
    }

    static let eventSeries: UInt32 = .max - 1
    static let noSeries: UInt32 = .max

    /// `e:NAME` or `d:INDEX`, over the grouped `series_index` and `event` (the name, kept in
    /// the grouping for the event series only).
    static let seriesName = "if(series_index = \(eventSeries), concat('e:', event), concat('d:', toString(series_index)))"

    var text: String {
        var conditions = [StoredEventsSQL(site: site, schema: schema).kept, "bot = 0", "hour * 3600000 >= \(layout.first)", "hour * 3600000 < \(layout.to)"]
        if let device = layout.device { conditions.append("device = \(device)") }
        if let browser = layout.browser { conditions.append("browser = \(browser)") }
        let bucket = layout.interval == .hour ? "hour" : SQL.localDay("hour * 3600000", layout.calendar)
        let columns = "intDiv(timestamp, 3600000) AS hour, \(Self.series(plan: plan)) AS all_series, name, bot, device, browser"
        return """
            SELECT \(Self.seriesName) AS series, \(bucket) AS bucket, count() AS events
            FROM (
            \(StoredEventsSQL(site: site, schema: schema).rows(columns).indented(4))
            )
            ARRAY JOIN all_series AS series_index
            WHERE \(conditions.joined(separator: " AND "))
            GROUP BY series_index, if(series_index = \(Self.eventSeries), name, '') AS event, bucket
            ORDER BY series, bucket
            """
    }
}
