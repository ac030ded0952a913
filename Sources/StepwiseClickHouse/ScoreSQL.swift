import StepwiseEngine
import StepwisePlan

/// An engagement score report as two ClickHouse queries over the rates masks
/// (`RatesSQL.matchLines`): per person active in the range, the decayed sum of their counted
/// micro completions, at the end and at the cut-off, term by term in the engine's order
/// (event, then definition) so the doubles add up alike.
///
/// `summary`: one row: persons, the positive scores' band cut-offs (numpy's linear quantiles,
/// the engine's arithmetic) and how many reach each, the highest score and persons per tenth
/// of it, and the cut-off ranking (persons, converters, and the rank-sum wins of
/// `RankAUC` from scores grouped by value). `top`: the warmest persons, ties by label, with
/// their completions per micro.
struct ScoreSQL {
    /// With `to` resolved to the moment scores are taken at.
    var query: ScoreQuery
    var asOf: Int64
    var cutoff: Int64
    var macro: Int?
    var weights: ScoreWeights
    var schema: ClickHouseSchema

    static let bins = 10

    private var rates: RatesSQL {
        RatesSQL(query: RatesQuery(site: query.site, plan: query.plan, from: query.from, to: asOf, segments: query.segments,
                                   includeBots: query.includeBots), schema: schema)
    }

    private var micros: [Int] { query.plan.conversions.indices.filter { query.plan.conversions[$0].kind == .micro } }

    /// Per person: `score`, `cut_score`, `last_active`, `sample` (active before the cut-off and
    /// not converted before it) and `converted` (after it).
    private var lines: [String] {
        let rates = rates
        let definitions = query.plan.conversions
        var lines = rates.personLines
        for d in micros + (macro.map { micros.contains($0) ? [] : [$0] } ?? []) { lines += rates.matchLines(d, definitions[d]) }
        lines.append("\(Self.decayedSum(at: asOf, weights: weights, plan: query.plan, slots: rates.valueSlots)) AS score")
        lines.append("\(Self.decayedSum(at: cutoff, weights: weights, plan: query.plan, slots: rates.valueSlots)) AS cut_score")
        lines.append("ts[length(act) + 1 - indexOf(arrayReverse(act), 1)] AS last_active")
        if let macro {
            lines.append("if(has(k\(macro), 1), ts[indexOf(k\(macro), 1)], toInt64(9223372036854775807)) AS macro_at")
            lines.append("ts[indexOf(act, 1)] < \(cutoff) AND macro_at >= \(cutoff) AS sample")
            lines.append("macro_at != toInt64(9223372036854775807) AS converted")
        } else {
            lines += ["0 AS sample", "0 AS converted"]
        }
        return lines
    }

    var summary: String {
        let q = Self.quantiles("s")
        return """
            SELECT
                persons, length(s), warm_from, hot_from,
                arrayCount(x -> x >= warm_from, s), arrayCount(x -> x >= hot_from, s),
                highest, arrayMap(k -> countEqual(bins, k), range(\(Self.bins))),
                ranked, converted, wins
            FROM (
                SELECT
                    persons, s, ranked, converted,
                    \(q.median) AS warm_from,
                    \(q.p90) AS hot_from,
                    s[length(s)] AS highest,
                    arrayMap(x -> least(toUInt64(floor(x / (highest / \(Self.bins)))), \(Self.bins - 1)), s) AS bins,
                    arraySum(arrayMap((p, n, below) -> p * (below - n + 0.5 * n), positives, negatives, arrayCumSum(negatives))) AS wins
                FROM (
                    SELECT
                        sumIf(n, kind = 0) AS persons,
                        groupArrayIf(s, kind = 0)[1] AS s,
                        sumIf(n, kind = 1) AS ranked,
                        sumIf(p, kind = 1) AS converted,
                        arraySort((x, k) -> k, groupArrayIf(toFloat64(p), kind = 1), groupArrayIf(key, kind = 1)) AS positives,
                        arraySort((x, k) -> k, groupArrayIf(toFloat64(n - p), kind = 1), groupArrayIf(key, kind = 1)) AS negatives
                    FROM (
                        SELECT
                            tupleElement(r, 1) AS kind,
                            tupleElement(r, 2) AS key,
                            count() AS n,
                            countIf(tupleElement(r, 3) = 1) AS p,
                            arraySort(groupArrayIf(score, kind = 0 AND score > 0)) AS s
                        FROM (
            \(rates.perPerson(lines + ["arrayConcat([(toUInt8(0), toFloat64(0), toUInt8(0))], arrayFilter(x -> sample, [(toUInt8(1), cut_score, toUInt8(converted))])) AS per_person"]).indented(16))
                        )
                        ARRAY JOIN per_person AS r
                        WHERE has(act, 1)
                        GROUP BY kind, key
                    )
                )
            )
            WHERE \(PersonEventsSQL.keepsColumns(["s", "bins"]))
            """
    }

    /// The warmest persons: label, score, last activity, completions per micro (plan order).
    func top(_ count: Int) -> String {
        let completions = micros.map { "arraySum(c\($0))" }.joined(separator: ", ")
        return """
            SELECT person, score, last_active, [\(completions)]
            FROM (
            \(rates.perPerson(["person"] + lines).indented(4))
            )
            WHERE has(act, 1) AND score > 0
            ORDER BY score DESC, person
            LIMIT \(max(0, count))
            """
    }

    /// The micros a score adds up: each with its points per completion, or nil when a
    /// completion carries its own value (read from its value slot). Micros worth 0 add nothing.
    static func scored(_ weights: ScoreWeights, plan: TrackingPlan, slots: [Int: Int]) -> [(d: Int, points: Double?)] {
        plan.conversions.indices.compactMap { d in
            guard plan.conversions[d].kind == .micro else { return nil }
            if let points = weights.points(of: d) { return points == 0 ? nil : (d, points) }
            return slots[d] == nil ? nil : (d, nil)
        }
    }

    /// A person's score at `moment` from the completion masks `c{d}` of the scored micros:
    /// a term per counted completion before it, keyed `event × width + definition` and summed
    /// in key order, the engine's order (ClickHouse 18.16 has no arrayFlatten).
    static func decayedSum(at moment: Int64, weights: ScoreWeights, plan: TrackingPlan, slots: [Int: Int]) -> String {
        let scored = scored(weights, plan: plan, slots: slots)
        guard !scored.isEmpty else { return "toFloat64(0)" }
        let width = plan.conversions.count + 1
        var terms: [String] = [], keys: [String] = []
        for (d, points) in scored {
            let decay = "exp2(-(\(moment) - t) / \(weights.halfLifeMillis))"
            let worth = points.map { "arrayMap(t -> \(SQL.exact($0)) * \(decay), ts)" }
                ?? "arrayMap((t, v) -> v * \(decay), ts, tupleElement(ev, \(slots[d]!)))"
            terms.append("arrayFilter((x, c, t) -> c = 1 AND t < \(moment), \(worth), c\(d), ts)")
            keys.append("arrayFilter((k, c, t) -> c = 1 AND t < \(moment), arrayMap(i -> toUInt64(i * \(width) + \(d)), idx), c\(d), ts)")
        }
        func concat(_ parts: [String]) -> String { parts.count == 1 ? parts[0] : "arrayConcat(\(parts.joined(separator: ", ")))" }
        return "arraySum(arraySort((x, k) -> k, \(concat(terms)), \(concat(keys))))"
    }

    /// The median and the 90th percentile of a sorted array, as the engine interpolates them
    /// (`Quantile.interpolate`); 0 for an empty one.
    static func quantiles(_ sorted: String) -> (median: String, p90: String) {
        func at(_ q: Double) -> String {
            let h = "((length(\(sorted)) - 1) * \(q))"
            let low = "toUInt64(floor(\(h))) + 1"
            let high = "least(toUInt64(floor(\(h))) + 1, length(\(sorted)) - 1) + 1"
            return "if(empty(\(sorted)), toFloat64(0), \(sorted)[\(low)] + (\(h) - floor(\(h))) * (\(sorted)[\(high)] - \(sorted)[\(low)]))"
        }
        return (at(0.5), at(0.9))
    }
}
