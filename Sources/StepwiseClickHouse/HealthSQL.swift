import StepwiseEngine

/// Tracking health's counts as ClickHouse queries, counted as the embedded store keeps them
/// (`VolumeIndex`, cut to the query's window by `HealthVolumes`): every stored event once,
/// by UTC hour. Three passes over the site's stored events: traffic per hour (all time, so
/// the first hour is known), human events per series, hour, device and browser in the window,
/// and the JSON type of every prop per event name since the baseline's first day.
struct HealthSQL {
    var query: HealthQuery
    var schema: ClickHouseSchema

    /// Rows `(hour, events, bot_events)`, every hour of the site.
    var traffic: String {
        """
        SELECT intDiv(timestamp, 3600000) AS hour, count() AS events, countIf(bot != 0) AS bot_events
        FROM (
        \(VolumesSQL.stored(site: query.site, schema: schema).indented(4))
        )
        GROUP BY hour
        ORDER BY hour
        """
    }

    /// Rows `(series, hour, device, browser, events)`, series `e:NAME` or `d:INDEX`.
    var grid: String {
        let window = query.window
        return """
            SELECT series, hour, device, browser, count() AS events
            FROM (
                SELECT intDiv(timestamp, 3600000) AS hour, \(VolumesSQL.series(plan: query.plan)) AS all_series, bot, device, browser
                FROM (
            \(VolumesSQL.stored(site: query.site, schema: schema).indented(8))
                )
            )
            ARRAY JOIN all_series AS series
            WHERE bot = 0 AND hour * 3600000 >= \(window.from) AND hour * 3600000 < \(window.to)
            GROUP BY series, hour, device, browser
            ORDER BY series, hour, device, browser
            """
    }

    /// Rows `(name, key, kind, recent, events, since)`: kinds as `ClickHouseRow` writes them.
    var propTypes: String {
        let days = query.propTypeDays
        return """
            SELECT name, prop_key, prop_kind, day >= \(days.recent) AS recent, count() AS events, min(day) AS since
            FROM (
                SELECT name, prop_keys, prop_kinds, intDiv(timestamp, 86400000) AS day
                FROM (
            \(VolumesSQL.stored(site: query.site, schema: schema).indented(8))
                )
            )
            ARRAY JOIN prop_keys AS prop_key, prop_kinds AS prop_kind
            WHERE day >= \(days.baseline)
            GROUP BY name, prop_key, prop_kind, recent
            ORDER BY name, prop_key, prop_kind, recent
            """
    }
}
