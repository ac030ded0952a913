import Foundation
import StepwiseCore
import StepwisePlan

/// What to bid on per macro (SPEC §4.8): smart bidding needs about 30–50 conversions a month;
/// below that, a high-intent micro that predicts the macro gives it enough signal.
public struct BiddingReport: Sendable, Equatable, Codable {
    public var site: String
    /// The 30 days counted.
    public var from: String
    public var to: String
    public var macros: [BiddingAdvice]
}

public struct BiddingAdvice: Sendable, Equatable, Codable {
    public enum Recommendation: String, Sendable, Codable {
        case bidOnMicro = "bid_on_micro", keepBoth = "keep_both", macroPrimary = "macro_primary"
    }

    public var macro: String
    /// Counted conversions in the last 30 days.
    public var conversions: Int
    public var recommendation: Recommendation
    /// Conversion actions to mark primary (bid on) and secondary (observe only).
    public var primary: [String]
    public var secondary: [String]
    public var micro: BiddingMicro?
    public var why: String
}

/// The micro proposed as the bidding signal: the strongest high-intent predictor.
public struct BiddingMicro: Sendable, Equatable, Codable {
    public var name: String
    public var intent: String?
    public var verdict: PredictiveValue.Verdict
    public var lift: Double?
    /// Its counted completions in the same 30 days.
    public var completions: Int
}

public enum BiddingAdvisor {
    public static let windowMillis: Int64 = 30 * 86_400_000
    /// Predictive evidence looks further back than the 30 counted days: a rare macro needs it.
    public static let evidenceMillis: Int64 = 90 * 86_400_000

    /// Advice for every macro of the plan, over the 30 days before `end` (a backend passes just
    /// after the site's last event by default), from reports every backend answers: the
    /// completions in the window (`rates`) and the micros' predictive evidence (`predict`).
    public static func advise(
        site: String, plan: TrackingPlan, end: Int64, includeBots: Bool,
        rates: (RatesQuery) async throws -> RatesReport, predict: (PredictQuery) async throws -> PredictiveValueReport
    ) async throws -> BiddingReport {
        guard !plan.macros.isEmpty else { throw PredictQuery.Invalid(field: "plan", reason: "the plan defines no macro to bid on") }
        let start = end - windowMillis
        let counts = try await rates(RatesQuery(site: site, plan: plan, from: start, to: end, includeBots: includeBots)).definitions.map(\.completions)
        let index = Dictionary(plan.conversions.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })

        var advice: [BiddingAdvice] = []
        for macro in plan.macros {
            let conversions = counts[index[macro.name]!]
            var micro: BiddingMicro?
            let micros = plan.micros.filter { $0.name != macro.name }
            if !micros.isEmpty {
                var query = PredictQuery(site: site, plan: plan, macro: macro.name, micros: Array(micros.prefix(PredictQuery.maxMicros)).map(\.name),
                                         to: end, includeBots: includeBots)
                query.lookbackMillis = evidenceMillis
                query.fitsModel = false
                let evidence = try await predict(query)
                micro = evidence.micros
                    .filter { $0.verdict == .strong || $0.verdict == .weak }
                    .map { value -> (PredictiveValue, ConversionDefinition) in (value, plan.conversions[index[value.name]!]) }
                    .max { a, b in rank(a.0, a.1, counts[index[a.0.name]!]) < rank(b.0, b.1, counts[index[b.0.name]!]) }
                    .map { value, definition in
                        BiddingMicro(name: value.name, intent: definition.intent?.rawValue, verdict: value.verdict, lift: value.lift,
                                     completions: counts[index[value.name]!])
                    }
            }
            advice.append(Self.advice(macro: macro.name, conversions: conversions, micro: micro))
        }
        return BiddingReport(site: site, from: Timestamp.formatRFC3339(start), to: Timestamp.formatRFC3339(end), macros: advice)
    }

    /// High intent first, then strong over weak, then enough volume to bid on, then lift.
    private static func rank(_ value: PredictiveValue, _ definition: ConversionDefinition, _ completions: Int) -> (Int, Int, Int, Double) {
        (definition.intent == .high ? 1 : 0, value.verdict == .strong ? 1 : 0, completions >= 30 ? 1 : 0, value.lift ?? 0)
    }

    /// SPEC §4.8's rule: under 30 conversions in 30 days bid on the micro, 30 to 50 keep both, over 50 the macro.
    static func advice(macro: String, conversions: Int, micro: BiddingMicro?) -> BiddingAdvice {
        let count = "\(conversions) \(macro) conversion\(conversions == 1 ? "" : "s") in 30 days"
        let signal = micro.map { m in
            "\(m.name) is the strongest\(m.intent == "high" ? " high-intent" : "") predictor (\(m.verdict.rawValue)"
                + (m.lift.map { String(format: ", lift %.1f×", $0) } ?? "") + ", \(m.completions) in 30 days)"
        }
        switch conversions {
        case ..<30:
            guard let micro, let signal else {
                return BiddingAdvice(
                    macro: macro, conversions: conversions, recommendation: .bidOnMicro, primary: [macro], secondary: [],
                    micro: nil,
                    why: "\(count) is too few for smart bidding (about 30 a month), but no micro predicts \(macro) yet: "
                        + "track a high-intent step (pricing view, checkout start, demo request) and check the predictive report.")
            }
            return BiddingAdvice(
                macro: macro, conversions: conversions, recommendation: .bidOnMicro, primary: [micro.name], secondary: [macro],
                micro: micro,
                why: "\(count) is too few for smart bidding to learn from (about 30 a month); \(signal), so bid on it "
                    + "and keep \(macro) as a secondary conversion to watch.")
        case 30...50:
            return BiddingAdvice(
                macro: macro, conversions: conversions, recommendation: .keepBoth, primary: [macro] + (micro.map { [$0.name] } ?? []),
                secondary: [], micro: micro,
                why: "\(count) is enough to start bidding on \(macro) but still thin; "
                    + (signal.map { "keep \(micro!.name) as a primary signal too: \($0)." } ?? "no micro predicts it well enough to add."))
        default:
            return BiddingAdvice(
                macro: macro, conversions: conversions, recommendation: .macroPrimary, primary: [macro],
                secondary: micro.map { [$0.name] } ?? [], micro: micro,
                why: "\(count) is enough for smart bidding on the outcome itself; "
                    + (micro.map { "keep \($0.name) as a secondary conversion for reporting." } ?? "micros add nothing to bid on."))
        }
    }
}
