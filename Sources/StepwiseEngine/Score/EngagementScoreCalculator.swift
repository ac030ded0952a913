import Foundation
import StepwiseCore
import StepwisePlan

/// Computes an `EngagementScoreReport`: one pass scores every person at the end and at the
/// cut-off, a second walks only the top persons to list what they did.
public enum EngagementScoreCalculator {
    public static func compute(_ query: ScoreQuery, in table: EventTable) throws(PredictQuery.Invalid) -> EngagementScoreReport {
        let plan = query.plan
        let asOf = query.to ?? lastEvent(site: query.site, includeBots: query.includeBots, in: table).map { $0 + 1 } ?? 0
        let macroName = query.macro ?? plan.macros.first?.name
        let macro = try macroName.map { name throws(PredictQuery.Invalid) -> Int in
            guard let d = plan.conversions.firstIndex(where: { $0.name == name }) else {
                throw PredictQuery.Invalid(field: "macro", reason: "'\(name)' is not a definition of the plan")
            }
            return d
        }
        let weights: ScoreWeights
        if query.learned {
            guard let macroName else { throw PredictQuery.Invalid(field: "learned", reason: "the plan defines no macro to learn values from") }
            let model = try PredictiveValueCalculator.compute(
                PredictQuery(site: query.site, plan: plan, macro: macroName, from: query.from, to: asOf, segments: query.segments,
                             includeBots: query.includeBots), in: table)
            weights = ScoreWeights(plan: plan, learnedFrom: model, halfLifeMillis: query.halfLifeMillis)
        } else {
            weights = ScoreWeights(plan: plan, halfLifeMillis: query.halfLifeMillis)
        }
        let cutoff = query.cutoff ?? asOf - ScoreQuery.defaultCutoffMillis
        let context = ScanContext(table: table, plan: plan, from: query.from, to: asOf, includeBots: query.includeBots,
                                  segments: query.segments)
        let macro32 = Int32(macro ?? -1)
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
        scored.sort { $0.score != $1.score ? $0.score > $1.score : $0.person < $1.person }

        // Bands: median and 90th percentile of the positive scores (numpy's linear interpolation).
        let ascending = scored.reversed().map(\.score)
        let warmFrom = ascending.isEmpty ? 0 : quantile(ascending, 0.5)
        let hotFrom = ascending.isEmpty ? 0 : quantile(ascending, 0.9)
        let persons = partials.reduce(0) { $0 + $1.persons }
        let hot = scored.count { $0.score >= hotFrom }
        let warm = scored.count { $0.score >= warmFrom } - hot
        let bands = [
            ScoreBand(name: "cold", minScore: 0, belowScore: warmFrom, persons: persons - warm - hot),
            ScoreBand(name: "warm", minScore: warmFrom, belowScore: hotFrom, persons: warm),
            ScoreBand(name: "hot", minScore: hotFrom, belowScore: nil, persons: hot),
        ]

        let top = Array(scored.prefix(max(0, query.top)))
        let micros = microCounts(top.map(\.person), context: context)
        let topPersons = top.map { entry in
            ScoredPerson(person: PersonLabel.fallback(table.personKey[entry.person]), user: nil, score: entry.score,
                         lastActivity: Timestamp.formatRFC3339(entry.last), micros: micros[entry.person] ?? [],
                         key: table.personKey[entry.person])
        }

        let ranking = macroName.map { name -> ScoreRanking in
            let samples = partials.flatMap(\.ranking)
            var groups: [Double: (positives: Int, negatives: Int)] = [:]
            for (score, converted) in samples {
                if converted { groups[score, default: (0, 0)].positives += 1 } else { groups[score, default: (0, 0)].negatives += 1 }
            }
            return ScoreRanking(macro: name, cutoff: Timestamp.formatRFC3339(cutoff), persons: samples.count,
                                converted: samples.count { $0.converted },
                                auc: RankAUC.auc(groups.map { ($0.key, $0.value.positives, $0.value.negatives) }))
        }
        let values = plan.conversions.indices.compactMap { d -> MicroPoints? in
            guard let source = weights.sources[d] else { return nil }
            return MicroPoints(name: plan.conversions[d].name, points: weights.points(of: d), source: source)
        }
        return EngagementScoreReport(
            site: query.site, asOf: Timestamp.formatRFC3339(asOf), halfLifeDays: Double(query.halfLifeMillis) / 86_400_000,
            learned: query.learned, values: values, persons: persons, scoredPersons: scored.count, bands: bands,
            histogram: ScoreBin.bins(ascending),
            top: topPersons, ranking: ranking)
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

    /// numpy's default (linear) quantile of ascending values.
    static func quantile(_ ascending: [Double], _ q: Double) -> Double {
        let h = Double(ascending.count - 1) * q
        let low = Int(h.rounded(.down)), high = min(low + 1, ascending.count - 1)
        return ascending[low] + (h - Double(low)) * (ascending[high] - ascending[low])
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
