import StepwiseCore
import StepwisePlan

/// Evaluates audience rules on the engine in one pass over the site's persons.
///
/// A person is a member when, inside the audience's `within` window before the as-of moment
/// (their whole history without one), they did every `did` definition, did none of the `not`
/// definitions, and their score (plan values) is at least `min_score`; only the events the
/// audience's segments (and the query's) keep take part.
public enum AudienceCalculator {
    /// Members of each named audience (all of the plan's when `names` is nil), in plan order;
    /// the warmest `limit` of each (all when nil), named by `directory` (`PersonRanking`).
    public static func members(
        _ query: AudienceQuery, names: [String]? = nil, limit: Int? = nil, in table: EventTable, directory: (any PersonDirectory)? = nil
    ) throws -> [AudienceMembersReport] {
        let plan = query.plan
        let audiences = try chosen(names, in: plan)
        let asOf = query.asOf ?? EngagementScoreCalculator.lastEvent(site: query.site, includeBots: query.includeBots, in: table).map { $0 + 1 } ?? 0
        let index = Dictionary(plan.conversions.enumerated().map { ($1.name, Int32($0)) }, uniquingKeysWith: { a, _ in a })
        let rules = audiences.map { audience in
            Rule(did: audience.did.compactMap { index[$0] }, not: audience.not.compactMap { index[$0] },
                 since: audience.withinMillis.map { asOf - $0 } ?? .min, minScore: audience.minScore)
        }
        let weights = ScoreWeights(plan: plan, halfLifeMillis: query.halfLifeMillis)
        // One scan per distinct set of segments: the query's plus each audience's own.
        var found = [[Found]](repeating: [], count: audiences.count)
        var groups: [[String]: [Int]] = [:]
        for (r, audience) in audiences.enumerated() { groups[audience.segments.map(\.description).sorted(), default: []].append(r) }
        for members in groups.values.sorted(by: { $0[0] < $1[0] }) {
            let context = ScanContext(table: table, plan: plan, from: nil, to: asOf, includeBots: query.includeBots,
                                      segments: query.segments + audiences[members[0]].segments)
            let groupRules = members.map { rules[$0] }
            let partials = context.mapPersons(site: query.site, { [[Found]](repeating: [], count: groupRules.count) }) { found, person in
                var score: Double?
                for (r, rule) in groupRules.enumerated() {
                    guard rule.admits(person.matches) else { continue }
                    let value = score ?? weights.score(person.matches, asOf: asOf)
                    score = value
                    if let minimum = rule.minScore, value < minimum { continue }
                    found[r].append(Found(person: person.person, score: value, last: person.lastActive))
                }
            }
            for (k, r) in members.enumerated() { found[r] = partials.flatMap { $0[k] } }
        }
        return try audiences.enumerated().map { r, audience in
            let ranked = found[r].sorted { $0.score > $1.score }
            let members = try PersonRanking.top(ranked, limit: limit, score: { $0.score }, key: { table.personKey[$0.person] }, directory: directory)
            return AudienceMembersReport(
                site: query.site, audience: audience.name, rule: describe(audience), asOf: Timestamp.formatRFC3339(asOf),
                size: ranked.count,
                members: members.map { found, identity in
                    AudienceMember(person: identity.person, user: identity.user, score: found.score,
                                   lastActivity: Timestamp.formatRFC3339(found.last), clickIds: identity.clickIds,
                                   key: table.personKey[found.person])
                })
        }
    }

    /// The named audiences of the plan (all when nil), in the order named.
    public static func chosen(_ names: [String]?, in plan: TrackingPlan) throws(PredictQuery.Invalid) -> [AudienceDefinition] {
        guard let names else { return plan.audiences }
        var chosen: [AudienceDefinition] = []
        for name in names {
            guard let audience = plan.audiences.first(where: { $0.name == name }) else {
                let known = plan.audiences.map(\.name).joined(separator: ", ")
                throw PredictQuery.Invalid(field: "audience", reason: "'\(name)' is not an audience of the plan (its audiences: \(known.isEmpty ? "none" : known))")
            }
            chosen.append(audience)
        }
        return chosen
    }

    /// The rule in words: "did pricing_view and case_study_download, not purchase, within 30 days, score ≥ 10".
    public static func describe(_ audience: AudienceDefinition) -> String {
        var parts: [String] = []
        if !audience.did.isEmpty { parts.append("did " + audience.did.joined(separator: " and ")) }
        if !audience.not.isEmpty { parts.append("not " + audience.not.joined(separator: " or ")) }
        if let within = audience.withinMillis { parts.append("within \(PlanDuration.text(millis: within))") }
        if let score = audience.minScore { parts.append("score ≥ \(score.formatted())") }
        if !audience.segments.isEmpty { parts.append("segment " + audience.segments.map(\.description).joined(separator: ", ")) }
        return parts.isEmpty ? "everyone" : parts.joined(separator: ", ")
    }

    struct Rule: Sendable {
        var did: [Int32]
        var not: [Int32]
        var since: Int64
        var minScore: Double?

        func admits(_ matches: UnsafeBufferPointer<TimelineMatch>) -> Bool {
            var seen: UInt64 = 0
            for match in matches where match.time >= since {
                if not.contains(match.definition) { return false }
                if let k = did.firstIndex(of: match.definition) { seen |= 1 << UInt64(k) }
            }
            return seen.nonzeroBitCount == did.count
        }
    }

    struct Found: Sendable {
        var person: Int
        var score: Double
        var last: Int64
    }
}

private extension Double {
    func formatted() -> String { self == rounded() ? String(Int(self)) : String(self) }
}
