import StepwiseEngine
import StepwisePlan

/// Audiences that share their segments, judged per person in ClickHouse as
/// `AudienceCalculator` judges them: inside the `within` window before the as-of moment
/// (the whole history without one), a match of every `did` definition and of no `not`
/// definition (any match, counted or not), and the plan-value score (`ScoreSQL.decayedSum`)
/// at least `min_score`. `sizes` counts each audience's members in one row; `members(k)`
/// lists audience `k`'s warmest first, ties by label.
struct AudienceSQL {
    /// With `asOf` resolved.
    var query: AudienceQuery
    var asOf: Int64
    /// Audiences with the same segments.
    var audiences: [AudienceDefinition]
    var schema: ClickHouseSchema

    private var rates: RatesSQL {
        RatesSQL(query: RatesQuery(site: query.site, plan: query.plan, to: asOf, segments: query.segments + (audiences.first?.segments ?? []),
                                   includeBots: query.includeBots), schema: schema)
    }

    /// Per person: `score`, `last_active`, and `member{k}` for each audience.
    private var lines: [String] {
        let rates = rates
        let plan = query.plan
        let weights = ScoreWeights(plan: plan, halfLifeMillis: query.halfLifeMillis)
        let index = Dictionary(plan.conversions.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        let ruled = audiences.flatMap { $0.did + $0.not }.compactMap { index[$0] }
        let scored = ScoreSQL.scored(weights, plan: plan, slots: rates.valueSlots).map(\.d)
        var lines = rates.personLines
        for d in Set(ruled + scored).sorted() { lines += rates.matchLines(d, plan.conversions[d]) }
        lines.append("\(ScoreSQL.decayedSum(at: asOf, weights: weights, plan: plan, slots: rates.valueSlots)) AS score")
        lines.append("ts[length(act) + 1 - indexOf(arrayReverse(act), 1)] AS last_active")
        for (k, audience) in audiences.enumerated() {
            let since = audience.withinMillis.map { asOf - $0 }
            func matched(_ d: Int) -> String {
                since.map { "arrayExists((k, t) -> k = 1 AND t >= \($0), k\(d), ts)" } ?? "has(k\(d), 1)"
            }
            var conditions = audience.did.compactMap { index[$0] }.map(matched)
            conditions += audience.not.compactMap { index[$0] }.map { "NOT " + matched($0) }
            if let minimum = audience.minScore { conditions.append("score >= \(SQL.exact(minimum))") }
            lines.append("\(conditions.isEmpty ? "1" : conditions.joined(separator: " AND ")) AS member\(k)")
        }
        return lines
    }

    var sizes: String {
        """
        SELECT \(audiences.indices.map { "countIf(member\($0))" }.joined(separator: ", "))
        FROM (
        \(rates.perPerson(lines).indented(4))
        )
        WHERE has(act, 1)
        """
    }

    /// Audience `k`'s members: label, score, last activity; the first `limit` (all when nil).
    func members(_ k: Int, limit: Int?) -> String {
        """
        SELECT person, score, last_active
        FROM (
        \(rates.perPerson(["person"] + lines).indented(4))
        )
        WHERE has(act, 1) AND member\(k)
        ORDER BY score DESC, person\(limit.map { "\nLIMIT \(max(0, $0))" } ?? "")
        """
    }
}
