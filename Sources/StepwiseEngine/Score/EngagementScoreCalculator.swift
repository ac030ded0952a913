import Foundation
import StepwiseCore
import StepwisePlan

/// Computes an `EngagementScoreReport`: one pass scores every person at the end and at the
/// cut-off, a second walks only the top persons to list what they did. `directory` names the
/// top persons (and orders ties by those names, `PersonRanking`).
public enum EngagementScoreCalculator {
    public static func compute(_ query: ScoreQuery, in table: EventTable, directory: (any PersonDirectory)? = nil) throws -> EngagementScoreReport {
        let asOf = query.to ?? lastEvent(site: query.site, includeBots: query.includeBots, in: table).map { $0 + 1 } ?? 0
        let macro = try self.macro(of: query)
        let weights = try query.learned
            ? ScoreWeights(plan: query.plan, learnedFrom: PredictiveValueCalculator.compute(try query.learning(asOf: asOf), in: table),
                           halfLifeMillis: query.halfLifeMillis)
            : ScoreWeights(plan: query.plan, halfLifeMillis: query.halfLifeMillis)
        let cutoff = query.cutoff ?? asOf - ScoreQuery.defaultCutoffMillis
        let context = ScanContext(table: table, plan: query.plan, from: query.from, to: asOf, includeBots: query.includeBots,
                                  segments: query.segments)
        let macro32 = Int32(macro?.index ?? -1)
        let partials = context.mapPersons(site: query.site, { Partial() }) { partial, person in
            partial.persons += 1
            let score = weights.score(person.matches, asOf: asOf)
            if score > 0 { partial.scored.append((score, person.person, person.lastActive)) }
            guard macro32 >= 0, person.firstActive < cutoff else { return }
            var macroAt = Int64.max
            for match in person.matches where match.definition == macro32 { macroAt = match.time; break }
            guard macroAt >= cutoff else { return }
            partial.ranking.append((weights.score(person.matches, asOf: cutoff), macroAt != .max))
        }
        var scored: [(score: Double, person: Int, last: Int64)] = partials.flatMap(\.scored)
        scored.sort { $0.score > $1.score }

        var aggregates = ScoreAggregates(ascending: scored.reversed().map(\.score))
        aggregates.persons = partials.reduce(0) { $0 + $1.persons }
        let top = try PersonRanking.top(scored, limit: query.top, score: { $0.score }, key: { table.personKey[$0.person] }, directory: directory)
        let micros = microCounts(top.map(\.entry.person), context: context)
        aggregates.top = top.map { entry, identity in
            ScoredPerson(person: identity.person, user: identity.user, score: entry.score,
                         lastActivity: Timestamp.formatRFC3339(entry.last), micros: micros[entry.person] ?? [],
                         key: table.personKey[entry.person])
        }
        let samples = partials.flatMap(\.ranking)
        var groups: [Double: (positives: Int, negatives: Int)] = [:]
        for (score, converted) in samples {
            if converted { groups[score, default: (0, 0)].positives += 1 } else { groups[score, default: (0, 0)].negatives += 1 }
        }
        aggregates.rankedPersons = samples.count
        aggregates.rankedConverted = samples.count { $0.converted }
        aggregates.auc = RankAUC.auc(groups.map { ($0.key, $0.value.positives, $0.value.negatives) })
        return report(query, asOf: asOf, cutoff: cutoff, macro: macro?.name, weights: weights, aggregates: aggregates)
    }

    /// The macro whose later conversions the score ranks: the query's, else the plan's first;
    /// with its index among the plan's definitions.
    public static func macro(of query: ScoreQuery) throws(PredictQuery.Invalid) -> (name: String, index: Int)? {
        guard let name = query.macro ?? query.plan.macros.first?.name else { return nil }
        guard let d = query.plan.conversions.firstIndex(where: { $0.name == name }) else {
            throw PredictQuery.Invalid(field: "macro", reason: "'\(name)' is not a definition of the plan")
        }
        return (name, d)
    }

    /// The report from what a store counted.
    public static func report(
        _ query: ScoreQuery, asOf: Int64, cutoff: Int64, macro: String?, weights: ScoreWeights, aggregates a: ScoreAggregates
    ) -> EngagementScoreReport {
        let warm = a.atLeastWarm - a.atLeastHot
        let bands = [
            ScoreBand(name: "cold", minScore: 0, belowScore: a.warmFrom, persons: a.persons - warm - a.atLeastHot),
            ScoreBand(name: "warm", minScore: a.warmFrom, belowScore: a.hotFrom, persons: warm),
            ScoreBand(name: "hot", minScore: a.hotFrom, belowScore: nil, persons: a.atLeastHot),
        ]
        let ranking = macro.map {
            ScoreRanking(macro: $0, cutoff: Timestamp.formatRFC3339(cutoff), persons: a.rankedPersons, converted: a.rankedConverted, auc: a.auc)
        }
        let values = query.plan.conversions.indices.compactMap { d -> MicroPoints? in
            guard let source = weights.sources[d] else { return nil }
            return MicroPoints(name: query.plan.conversions[d].name, points: weights.points(of: d), source: source)
        }
        return EngagementScoreReport(
            site: query.site, asOf: Timestamp.formatRFC3339(asOf), halfLifeDays: Double(query.halfLifeMillis) / 86_400_000,
            learned: query.learned, values: values, persons: a.persons, scoredPersons: a.scored, bands: bands,
            histogram: ScoreBin.bins(highest: a.highest, counts: a.bins), top: a.top, ranking: ranking)
    }

    /// Completions per micro of the given persons, walked one by one.
    static func microCounts(_ persons: [Int], context: ScanContext) -> [Int: [MicroCount]] {
        let scan = PersonTimelineScan(context)
        var result: [Int: [MicroCount]] = [:]
        for p in persons {
            scan.run(p..<(p + 1)) { person in
                var counts: [Int32: Int] = [:]
                for match in person.matches where match.counted && context.definitions[Int(match.definition)].kind == .micro {
                    counts[match.definition, default: 0] += 1
                }
                result[p] = counts.sorted { $0.key < $1.key }.map { MicroCount(name: context.definitions[Int($0.key)].name, completions: $0.value) }
            }
        }
        return result
    }

    /// The site's last kept event.
    static func lastEvent(site: String, includeBots: Bool, in table: EventTable) -> Int64? {
        let persons = table.siteID(site).flatMap { table.sitePersons[$0] } ?? 0..<0
        var last: Int64?
        for p in persons where includeBots || table.personBot[p] == 0 {
            let t = table.timestamp[table.events(ofPerson: p).upperBound - 1]
            last = max(last ?? t, t)
        }
        return last
    }

    struct Partial: Sendable {
        var persons = 0
        var scored: [(score: Double, person: Int, last: Int64)] = []
        var ranking: [(score: Double, converted: Bool)] = []
    }
}

/// How a person is named before storage supplies their ids: `v:ID` for a visitor, `u:ID` for a user.
public enum PersonLabel {
    public static func fallback(_ key: UInt32) -> String { key & 1 == 1 ? "u:\(key >> 1)" : "v:\(key >> 1)" }
}
