import Foundation
import StepwisePlan

/// Test ideas seeded from the funnel's leaks and the predictive report, ranked by ICE
/// (SPEC §4.7): the mean of impact, confidence and ease, each 1 to 10.
///
/// Impact is the macro conversions at stake, scaled so the biggest idea scores 10: for a leak,
/// the persons lost at a step times the rate from the next step to the funnel's end; for a
/// predictor, the persons who did not do the micro times the macro-rate gap it shows.
/// Confidence comes from the evidence: 6 for a leak, 8 when one device leaks significantly
/// more there (p < 0.01); 8 for a strong predictor, 5 for a weak one. Ease defaults to 5 and
/// is set per idea key under `ease:` in the plan.
public struct HypothesisBoard: Sendable, Equatable, Codable {
    public var site: String
    public var funnel: String
    public var macro: String
    public var ideas: [Hypothesis]

    public static let defaultEase = 5

    public static func build(plan: TrackingPlan, funnel: FunnelReport, predict: PredictiveValueReport?) -> HypothesisBoard {
        var raw: [(key: String, title: String, source: Hypothesis.Source, stake: Double, confidence: Int, evidence: String)] = []
        let steps = funnel.steps
        let last = Double(steps.last?.count ?? 0)
        for k in steps.indices.dropFirst() where steps[k - 1].count > 0 && steps[k].count > 0 {
            let lost = steps[k - 1].count - steps[k].count
            guard lost > 0 else { continue }
            let onward = last / Double(steps[k].count)
            var confidence = 6
            var evidence = String(format: "%d persons stop between %@ and %@ (%.1f%% continue); %.1f%% of those who continue reach %@.",
                                  lost, steps[k - 1].name, steps[k].name, (steps[k].rateFromPrevious ?? 0) * 100, onward * 100,
                                  steps.last!.name)
            if let worst = worstSegment(funnel.breakdown, step: k) {
                confidence = 8
                evidence += " \(worst) leaks significantly more here."
            }
            raw.append(("\(steps[k - 1].name)->\(steps[k].name)", "Get more persons from \(steps[k - 1].name) to \(steps[k].name)",
                        .funnelLeak, Double(lost) * onward, confidence, evidence))
        }
        // Funnel steps are the leak ideas already; predictors add the micros off the funnel.
        let stepNames = Set(steps.map(\.name))
        for micro in predict?.micros ?? [] where (micro.verdict == .strong || micro.verdict == .weak) && !stepNames.contains(micro.name) {
            guard let with = micro.rateWith.rate, let without = micro.rateWithout.rate, with > without else { continue }
            let others = micro.rateWithout.denominator
            let prevalence = (micro.prevalence.rate ?? 0) * 100
            let lift = micro.lift.map { String(format: "%.1f×", $0) } ?? "only its doers convert"
            raw.append((micro.name, "Get more persons to do \(micro.name)", .predictor, Double(others) * (with - without),
                        micro.verdict == .strong ? 8 : 5,
                        String(format: "%@ predicts %@ (%@) but only %.1f%% of persons do it. Predictive, not yet causal: this test would tell.",
                               micro.name, predict!.macro, lift, prevalence)))
        }
        let top = raw.map(\.stake).max() ?? 0
        var ideas = raw.map { idea -> Hypothesis in
            let impact = top > 0 ? max(1, (idea.stake / top * 10).rounded()) : 1
            let ease = plan.ease[idea.key] ?? defaultEase
            return Hypothesis(key: idea.key, title: idea.title, source: idea.source, impact: Int(impact), confidence: idea.confidence, ease: ease,
                              ice: ((impact + Double(idea.confidence) + Double(ease)) / 3 * 10).rounded() / 10,
                              conversionsAtStake: (idea.stake * 10).rounded() / 10, evidence: idea.evidence)
        }
        ideas.sort { $0.ice != $1.ice ? $0.ice > $1.ice : $0.key < $1.key }
        return HypothesisBoard(site: funnel.site, funnel: funnel.funnel ?? "", macro: predict?.macro ?? steps.last?.name ?? "", ideas: ideas)
    }

    /// A breakdown value whose rate at step k is significantly below everyone else's.
    static func worstSegment(_ breakdown: [FunnelReport.BreakdownRow]?, step k: Int) -> String? {
        guard let rows = breakdown, rows.count > 1 else { return nil }
        var worst: (String, Double)?
        let totalFrom = rows.reduce(0) { $0 + $1.steps[k - 1].count }, totalTo = rows.reduce(0) { $0 + $1.steps[k].count }
        for row in rows where row.steps[k - 1].count >= 30 {
            let from = row.steps[k - 1].count, to = row.steps[k].count
            let othersFrom = totalFrom - from, othersTo = totalTo - to
            guard othersFrom > 0, Double(to) / Double(from) < Double(othersTo) / Double(othersFrom) else { continue }
            let p = TwoByTwo(a: to, b: from - to, c: othersTo, d: othersFrom - othersTo).zTestPValue
            if p < 0.01, p < (worst?.1 ?? 1) { worst = ("\(row.value)", p) }
        }
        return worst?.0
    }
}

public struct Hypothesis: Sendable, Equatable, Codable {
    public enum Source: String, Sendable, Codable { case funnelLeak = "funnel_leak", predictor }

    /// Key for `ease:` in the plan: `from->to` for a leak, the micro's name for a predictor.
    public var key: String
    public var title: String
    public var source: Source
    public var impact: Int
    public var confidence: Int
    public var ease: Int
    public var ice: Double
    public var conversionsAtStake: Double
    public var evidence: String
}

extension HypothesisBoard {
    /// The board for a plan funnel (default the first), with a device breakdown for confidence
    /// and the predictive report of the funnel's last step when it is a definition.
    public static func compute(site: String, plan: TrackingPlan, funnel name: String?, from: Int64?, to: Int64?, includeBots: Bool,
                               backend: any ReportBackend) async throws -> HypothesisBoard {
        guard let definition = name.map({ name in plan.funnels.first { $0.name == name } }) ?? plan.funnels.first else {
            let known = plan.funnels.map(\.name).joined(separator: ", ")
            throw PredictQuery.Invalid(field: "funnel", reason: name.map { "'\($0)' is not a funnel of the plan (its funnels: \(known.isEmpty ? "none" : known))" }
                                       ?? "the plan defines no funnel")
        }
        var query = try FunnelQuery(site: site, funnel: definition, plan: plan)
        query.from = from
        query.to = to
        query.includeBots = includeBots
        query.breakdown = .device
        let report = try await backend.funnel(query)
        let macro = definition.steps.last.map(\.name).flatMap { last in plan.conversions.contains { $0.name == last } ? last : nil }
            ?? plan.macros.first?.name
        let predict = try await macro.asyncMap { macro in
            try await backend.predict(PredictQuery(site: site, plan: plan, macro: macro, from: from, to: to, includeBots: includeBots))
        }
        return build(plan: plan, funnel: report, predict: predict)
    }
}

private extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
