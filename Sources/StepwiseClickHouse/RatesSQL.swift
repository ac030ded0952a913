import StepwiseEngine
import StepwisePlan

/// A rates report as one ClickHouse query: per person, every definition's matches judged
/// with arrays in SQL the way the embedded scan (`RatesScan`) walks a person, reduced to one
/// tuple per definition; those are then aggregated per definition across persons (sums, and
/// `sumMap` for the series and the frequency), with quantile samples coming back only as the
/// values at the ranks the engine interpolates between. `RatesAggregates` turns the rows
/// into the report.
///
/// The walk: a definition's event-level matches anywhere in the person's run; `nth_in_session`
/// keeps the n-th of them in its session, `returned_within` those whose session began within
/// the limit of the previous session's last event; of those, the matches on events the range
/// and segments keep are counted. The count rule picks the completions among them: every
/// match, the first of each session, or the person's first.
///
/// Rows: `d < n` a definition; `d = n` the persons (with a kept event; sessions; series
/// buckets; first and last event of every person); `d = n + 1 + k` step pair `k` (persons who
/// matched its first definition; `completions`: those who matched both).
struct RatesSQL {
    var query: RatesQuery
    var schema: ClickHouseSchema
    /// Further per-event expressions a report reads (`moreElement`), after the values.
    var more: [String] = []

    private var definitions: [ConversionDefinition] { query.plan.conversions }
    private var words: Int { max(1, (definitions.count + 63) / 64) }
    /// Tuple elements after the four of `PersonEventsSQL`: `words` match masks, `words`
    /// audience masks, then these, then one value per valued definition.
    private var keepElement: Int { 5 + 2 * words }
    private var sessionKeptElement: Int { keepElement + 1 }
    private var bucketElement: Int { keepElement + 2 }
    /// Each valued definition's element in the per-event tuple.
    var valueSlots: [Int: Int] {
        var slots: [Int: Int] = [:]
        for (d, definition) in definitions.enumerated() where definition.value != nil { slots[d] = keepElement + 3 + slots.count }
        return slots
    }

    /// The tuple element of `more[k]`.
    func moreElement(_ k: Int) -> Int { keepElement + 3 + valueSlots.count + k }

    /// Each person with their events and the plan's columns (`PersonEventsSQL`).
    var base: PersonEventsSQL {
        PersonEventsSQL(schema: schema, site: query.site, extras: extras, sessionTimeoutMillis: query.plan.sessionTimeoutMillis,
                        includeBots: query.includeBots)
    }

    /// Per person, arrays aligned with their events: `m{w}` and `am{w}` the definitions' and
    /// audiences' event-level matches (bit sets), `act` whether the range and segments keep
    /// the event, `bucket`, `since_start` (milliseconds into its session), `gap` (before its
    /// session). Every definition's `matchLines` build on them.
    ///
    /// Everything per person is an array aligned with the person's events (masks of 0 and 1
    /// per definition), so lambdas take their arrays as arguments and capture only arrays
    /// per session: ClickHouse copies a captured array once per element, quadratic on a
    /// person's whole run; and arrays of tuples are slow to filter and index in 18.16.
    var personLines: [String] {
        let segments = SegmentSQL(from: query.from, to: query.to, segments: query.segments)
        return (0..<words).flatMap { w in
            ["tupleElement(ev, \(5 + w)) AS m\(w)", "tupleElement(ev, \(5 + words + w)) AS am\(w)"]
        } + [
            "arrayFilter((v, i, f) -> i = f, tupleElement(ev, \(sessionKeptElement)), idx, sess_first) AS kept_by_sess",
            "arrayFilter((g, i, f) -> i = f, arrayDifference(ts), idx, sess_first) AS gap_by_sess",
            "arrayFilter((t, i, f) -> i = f, ts, idx, sess_first) AS start_by_sess",
            "arrayMap((k, s) -> toUInt8(k = 1 AND kept_by_sess[s] = 1\(segments.visitorType(session: "s"))), tupleElement(ev, \(keepElement)), sess) AS act",
            "tupleElement(ev, \(bucketElement)) AS bucket",
            "arrayMap((t, s) -> t - start_by_sess[s], ts, sess) AS since_start",
            "arrayMap(s -> gap_by_sess[s], sess) AS gap",
        ]
    }

    /// One row per person with `lines` computed over their events: the subquery every
    /// person-level report aggregates.
    func perPerson(_ lines: [String]) -> String {
        """
        SELECT
        \(lines.map { "    " + $0.replacingOccurrences(of: "\n", with: "\n    ") }.joined(separator: ",\n"))
        FROM (
        \(base.text.indented(4))
        )
        WHERE \(PersonEventsSQL.keepsColumns(["ev", "ts", "idx", "sess", "sess_first"]))
        """
    }

    var text: String {
        let n = definitions.count
        var lines = personLines
        var rows: [String] = []
        let slots = valueSlots
        for (d, definition) in definitions.enumerated() {
            lines += matchLines(d, definition)
            let value = slots[d].map { "arraySum(arrayFilter((v, c) -> c = 1, tupleElement(ev, \($0)), c\(d)))" } ?? "0"
            let audience: String
            if definition.denominator != nil {
                let (word, bit) = (d / 64, d % 64)
                audience = "arrayExists((x, a) -> a = 1 AND bitTest(x, \(bit)), am\(word), act)"
            } else {
                audience = "0"
            }
            rows.append(row(d: d, matched: "has(k\(d), 1)", audience: audience, completions: "arraySum(c\(d))", sessions: "arraySum(f\(d))",
                            value: value, firstVisit: "intDiv(ts[indexOf(k\(d), 1)] - ts[1], 1000)",
                            lastMatch: "-ts[length(k\(d)) + 1 - indexOf(arrayReverse(k\(d)), 1)]",
                            buckets: "arrayDistinct(arrayFilter((b, k) -> k = 1, bucket, k\(d)))",
                            completionBuckets: "arrayFilter((b, c) -> c = 1, bucket, c\(d))",
                            sessionStarts: "arrayFilter((t, f) -> f = 1, since_start, f\(d))"))
        }
        rows.append(row(d: n, matched: "has(act, 1)", sessions: "length(arrayDistinct(arrayFilter((s, a) -> a = 1, sess, act)))",
                        firstVisit: "ts[1]", lastMatch: "-ts[length(ts)]", buckets: "arrayDistinct(arrayFilter((b, a) -> a = 1, bucket, act))"))
        for (k, pair) in RatesAggregates.stepPairs(of: query.plan).enumerated() {
            rows.append(row(d: n + 1 + k, matched: "has(k\(pair.from), 1)", completions: "has(k\(pair.from), 1) AND has(k\(pair.to), 1)"))
        }
        lines.append("[\(rows.joined(separator: ",\n    "))] AS per_definition")
        return """
            SELECT
                d, persons, completions, sessions, value, audience, audience_completed,
                series_persons, series_completions, frequencies, first_event, last_event,
                \(SQL.orderStatistics("first_visit")),
                \(SQL.orderStatistics("session_start")),
                \(SQL.orderStatistics("last_match"))
            FROM (
                SELECT
                    tupleElement(r, 1) AS d,
                    countIf(tupleElement(r, 2) = 1) AS persons,
                    sum(tupleElement(r, 4)) AS completions,
                    sum(tupleElement(r, 5)) AS sessions,
                    sum(tupleElement(r, 6)) AS value,
                    countIf(tupleElement(r, 3) = 1) AS audience,
                    countIf(tupleElement(r, 3) = 1 AND tupleElement(r, 2) = 1) AS audience_completed,
                    sumMap(tupleElement(r, 9), arrayMap(b -> toUInt64(1), tupleElement(r, 9))) AS series_persons,
                    sumMap(tupleElement(r, 10), arrayMap(b -> toUInt64(1), tupleElement(r, 10))) AS series_completions,
                    sumMap([tupleElement(r, 4)], [toUInt64(tupleElement(r, 2))]) AS frequencies,
                    min(tupleElement(r, 7)) AS first_event,
                    -min(tupleElement(r, 8)) AS last_event,
                    arraySort(groupArrayIf(tupleElement(r, 7), tupleElement(r, 2) = 1 AND d < \(n))) AS first_visit,
                    arraySort(groupArrayArray(tupleElement(r, 11))) AS session_start,
                    arraySort(groupArrayIf(tupleElement(r, 8), tupleElement(r, 2) = 1 AND d < \(n))) AS last_match
                FROM (
            \(perPerson(lines).indented(8))
                )
                ARRAY JOIN per_definition AS r
                WHERE tupleElement(r, 2) = 1 OR tupleElement(r, 3) = 1 OR d = \(n)
                GROUP BY d
            )
            ORDER BY d
            """
    }

    /// One person's row for a definition, typed alike so the rows make one array:
    /// `(d, matched, in audience, completions, sessions, value, first visit, minus last match,
    /// buckets matched in, buckets of the completions, milliseconds from session start)`.
    private func row(d: Int, matched: String, audience: String = "0", completions: String = "0", sessions: String = "0", value: String = "0",
                     firstVisit: String = "0", lastMatch: String = "0", buckets: String = "emptyArrayInt64()",
                     completionBuckets: String = "emptyArrayInt64()", sessionStarts: String = "emptyArrayInt64()") -> String {
        "(toUInt32(\(d)), toUInt8(\(matched)), toUInt8(\(audience)), toInt64(\(completions)), toInt64(\(sessions)), toFloat64(\(value)), "
            + "toInt64(\(firstVisit)), toInt64(\(lastMatch)), \(buckets), \(completionBuckets), \(sessionStarts))"
    }

    /// Definition `d` for one person, as masks aligned with their events: `k{d}` its counted
    /// matches, `f{d}` the first of them in each session, `c{d}` the completions.
    func matchLines(_ d: Int, _ definition: ConversionDefinition) -> [String] {
        let (word, bit) = (d / 64, d % 64)
        let when = definition.when
        var conditions = ["bitTest(x, \(bit))", "a = 1"]
        var arguments = ["m\(word)", "act"]
        var names = ["x", "a"]
        var lines: [String] = []
        if let nth = when.nthInSession {
            // Per event, how many of the definition's event-level matches its session has had
            // so far (other events count under session 0, which no event is in).
            lines.append("arrayEnumerateUniq(arrayMap((s, x) -> if(bitTest(x, \(bit)), s, 0), sess, m\(word))) AS nth\(d)")
            conditions.append("n = \(nth)")
            arguments.append("nth\(d)")
            names.append("n")
        }
        if let within = when.returnedWithinMillis {
            conditions.append("s > 1 AND g <= \(within)")
            arguments += ["sess", "gap"]
            names += ["s", "g"]
        }
        lines.append("arrayMap((\(names.joined(separator: ", "))) -> toUInt8(\(conditions.joined(separator: " AND "))), \(arguments.joined(separator: ", "))) AS k\(d)")
        lines.append("arrayMap((n, k) -> toUInt8(k = 1 AND n = 1), arrayEnumerateUniq(arrayMap((s, k) -> if(k = 1, s, 0), sess, k\(d))), k\(d)) AS f\(d)")
        switch definition.count {
        case .every: lines.append("k\(d) AS c\(d)")
        case .oncePerSession: lines.append("f\(d) AS c\(d)")
        case .oncePerPerson: lines.append("arrayMap((n, k) -> toUInt8(k = 1 AND n = 1), arrayCumSum(k\(d)), k\(d)) AS c\(d)")
        }
        return lines
    }

    /// Per row: each 64 definitions' event-level match as a bit set, the same for their
    /// denominator audiences, whether the range and event segments keep it, whether the
    /// session segments keep a session it opens, its series bucket, and each valued
    /// definition's value for it.
    private var extras: [String] {
        let segments = SegmentSQL(from: query.from, to: query.to, segments: query.segments)
        let chunks = stride(from: 0, to: max(definitions.count, 1), by: 64).map { Array(definitions[$0..<min($0 + 64, definitions.count)]) }
        let day = SQL.localDay("timestamp", query.plan.calendar)
        let bucket = query.interval == .day ? day : "intDiv(\(day) + 3, 7)"
        let values = definitions.compactMap { definition -> String? in
            switch definition.value {
            case nil: nil
            case .fixed(let value)?: SQL.number(value)
            case .prop(let key)?:
                "if(\(MatcherSQL.kind(key)) != 0 AND NOT isNaN(\(MatcherSQL.numeric(key))), \(MatcherSQL.numeric(key)), \(key == "revenue" ? "revenue" : "toFloat64(0)"))"
            }
        }
        return chunks.map { MatcherSQL.mask($0.map(\.when)) } + chunks.map { MatcherSQL.mask($0.map(\.denominator)) }
            + [segments.eventKept, segments.sessionKept, bucket] + values + more
    }
}
