import StepwiseCore
import StepwiseEngine
import StepwisePlan

/// An attribution report as two ClickHouse queries over the rates masks, judged per person
/// as `AttributionCalculator` walks one: every session of the person's history with the
/// channel and campaign of its first event; the macro's counted matches in the range and
/// segments are the conversions.
///
/// `persons`: per source of each person's first session in the range, the persons, those who
/// matched each micro and the macro, the macro's value, and the conversions and their value.
/// `credits`: one row per conversion (`ARRAY JOIN`), its touchpoints the sessions from the
/// first that started within the lookback up to the one it happened in, each model's weights
/// over them (the engine's formulas), then one row per touchpoint, summed per source: credit
/// and revenue per model, conversions assisted (once per conversion and source, and once per
/// conversion and channel).
struct AttributionSQL {
    var query: AttributionQuery
    var macro: Int
    var micros: [Int]
    var schema: ClickHouseSchema

    private var rates: RatesSQL {
        RatesSQL(query: RatesQuery(site: query.site, plan: query.plan, from: query.from, to: query.to, segments: query.segments,
                                   includeBots: query.includeBots),
                 schema: schema, more: ["channel", "campaign"])
    }

    private var lines: [String] {
        let rates = rates
        let definitions = query.plan.conversions
        var lines = rates.personLines
        for d in [macro] + micros { lines += rates.matchLines(d, definitions[d]) }
        let value = rates.valueSlots[macro].map { "tupleElement(ev, \($0))" } ?? "arrayMap(t -> toFloat64(0), ts)"
        lines += [
            "arrayFilter((c, i, f) -> i = f, tupleElement(ev, \(rates.moreElement(0))), idx, sess_first) AS channel_by_sess",
            "arrayFilter((c, i, f) -> i = f, tupleElement(ev, \(rates.moreElement(1))), idx, sess_first) AS campaign_by_sess",
            "arrayFilter((t, c) -> c = 1, ts, c\(macro)) AS conversion_at",
            "arrayFilter((s, c) -> c = 1, sess, c\(macro)) AS conversion_session",
            "arrayFilter((v, c) -> c = 1, \(value), c\(macro)) AS conversion_value",
            "sess[indexOf(act, 1)] AS arrival",
        ]
        return lines
    }

    var persons: String {
        let micros = self.micros.map { ", sum(toUInt64(has(k\($0), 1)))" }.joined()
        return """
            SELECT
                channel_by_sess[arrival] AS channel,
                campaign_by_sess[arrival] AS campaign,
                count(), countIf(has(k\(macro), 1)), sum(arraySum(conversion_value)), sum(length(conversion_at))\(micros)
            FROM (
            \(rates.perPerson(lines).indented(4))
            )
            WHERE has(act, 1)
            GROUP BY channel, campaign
            ORDER BY channel, campaign
            """
    }

    var credits: String {
        let direct = Channel.direct.rawValue
        let decay = AttributionModel.halfLifeMillis
        let weights = query.models.map { model -> String in
            switch model {
            case .first: "arrayMap(i -> toFloat64(i = 1), positions)"
            case .lastNonDirect: "arrayMap(i -> toFloat64(i = last_non_direct), positions)"
            case .linear: "arrayMap(i -> 1 / n, positions)"
            case .timeDecay: "arrayMap(r -> r / arraySum(raw_decay), raw_decay)"
            case .position:
                "arrayMap(i -> multiIf(n = 1, toFloat64(1), n = 2, 0.5, i = 1 OR i = n, 0.4, 0.2 / (n - 2)), positions)"
            }
        }
        let sums = query.models.indices.map { "sum(w\($0)), sum(w\($0) * value)" }.joined(separator: ", ")
        return """
            SELECT
                channel, campaign, \(sums), sum(slot_assisted), sum(channel_assisted)
            FROM (
                SELECT
                    *,
                    \(weights.enumerated().map { "\($1) AS weights\($0)" }.joined(separator: ",\n        "))
                FROM (
                    SELECT
                        value,
                        toUInt64(if(arrayFirstIndex(x -> x >= at - \(query.lookbackMillis), start_by_sess) = 0, session,
                            least(arrayFirstIndex(x -> x >= at - \(query.lookbackMillis), start_by_sess), session))) AS first_touch,
                        session - first_touch + 1 AS n,
                        arrayEnumerate(arraySlice(start_by_sess, first_touch, n)) AS positions,
                        arraySlice(start_by_sess, first_touch, n) AS starts,
                        arraySlice(channel_by_sess, first_touch, n) AS channels,
                        arraySlice(campaign_by_sess, first_touch, n) AS campaigns,
                        if(arrayExists(c -> c != \(direct), channels), n + 1 - indexOf(arrayReverse(arrayMap(c -> c != \(direct), channels)), 1), n)
                            AS last_non_direct,
                        arrayMap(s -> pow(2, -greatest(at - s, 0) / \(decay)), starts) AS raw_decay,
                        arrayMap(i -> toUInt8(i != last_non_direct), positions) AS assisting,
                        arrayMap((a, u) -> toUInt8(a = 1 AND u = 1), assisting, arrayEnumerateUniq(assisting, channels, campaigns)) AS slot_first,
                        arrayMap((a, u) -> toUInt8(a = 1 AND u = 1), assisting, arrayEnumerateUniq(assisting, channels)) AS channel_first
                    FROM (
            \(rates.perPerson(lines).indented(16))
                    )
                    ARRAY JOIN conversion_at AS at, conversion_session AS session, conversion_value AS value
                    WHERE \(PersonEventsSQL.keepsColumns(["start_by_sess", "channel_by_sess", "campaign_by_sess"]))
                )
                WHERE n > 0 AND last_non_direct > 0 AND \(PersonEventsSQL.keepsColumns(["positions", "raw_decay"]))
            )
            ARRAY JOIN channels AS channel, campaigns AS campaign, \(query.models.indices.map { "weights\($0) AS w\($0)" }.joined(separator: ", ")),
                slot_first AS slot_assisted, channel_first AS channel_assisted
            GROUP BY channel, campaign
            ORDER BY channel, campaign
            """
    }
}
