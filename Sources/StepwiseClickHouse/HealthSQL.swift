import StepwiseEngine

/// Tracking health's counts as ClickHouse queries, counted as the embedded store keeps them
/// (`VolumeIndex`, cut to the query's window by `HealthVolumes`): every stored event once,
/// by UTC hour. Three passes over the site's stored events (`StoredEventsSQL`): traffic per
/// hour (all time, so the first hour is known), human events per series, hour, device and
/// browser in the window, and the JSON type of every prop per event name since the baseline's
/// first day.
struct HealthSQL {
    var query: HealthQuery
    var schema: ClickHouseSchema

    /// Rows `(hour, events, bot_events)`, every hour of the site.
    var traffic: String {
        """
        SELECT intDiv(timestamp, 3600000) AS hour, count() AS events, countIf(bot != 0) AS bot_events
        FROM (
        \(stored.rows("timestamp, bot").indented(4))
        )
        WHERE \(stored.kept)
        GROUP BY hour
        ORDER BY hour
        """
    }

    /// Rows `(series, hour, device, browser, events)`, series `e:NAME` or `d:INDEX`.
    var grid: String {
        let window = query.window
        return """
            SELECT \(VolumesSQL.seriesName) AS series, hour, device, browser, count() AS events
            FROM (
            \(stored.rows("intDiv(timestamp, 3600000) AS hour, \(VolumesSQL.series(plan: query.plan)) AS all_series, name, bot, device, browser").indented(4))
            )
            ARRAY JOIN all_series AS series_index
            WHERE \(stored.kept) AND bot = 0 AND hour * 3600000 >= \(window.from) AND hour * 3600000 < \(window.to)
            GROUP BY series_index, if(series_index = \(VolumesSQL.eventSeries), name, '') AS event, hour, device, browser
            ORDER BY series, hour, device, browser
            """
    }

    /// Rows `(name, key, kind, recent, events, since)`: kinds as `ClickHouseRow` writes them.
    var propTypes: String {
        let days = query.propTypeDays
        return """
            SELECT name, prop_key, prop_kind, day >= \(days.recent) AS recent, count() AS events, min(day) AS since
            FROM (
            \(stored.rows("name, prop_keys, prop_kinds, intDiv(timestamp, 86400000) AS day").indented(4))
            )
            ARRAY JOIN prop_keys AS prop_key, prop_kinds AS prop_kind
            WHERE \(stored.kept) AND day >= \(days.baseline)
            GROUP BY name, prop_key, prop_kind, recent
            ORDER BY name, prop_key, prop_kind, recent
            """
    }

    private var stored: StoredEventsSQL { StoredEventsSQL(site: query.site, schema: schema) }
}
