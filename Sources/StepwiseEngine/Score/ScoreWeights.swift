import Foundation
import StepwisePlan

/// What each micro completion is worth, and how fast that fades (SPEC §4.4).
///
/// A completion of value v at time t is worth v × 0.5^((T − t) / half-life) at time T.
/// Values come from the plan's `value:` (a micro without one is worth 1 point) or, learned,
/// from the predictive model: 10 × ln(odds ratio), floored at 0, so a micro that doubles the
/// odds of the macro is worth about 7 points and one that lowers them adds nothing.
public struct ScoreWeights: Sendable {
    public enum Source: String, Sendable, Codable { case plan, `default`, learned }

    /// Per plan definition: nil for definitions that are not scored (macros).
    let points: [Double?]
    /// Whether a micro's completions carry their own value (`value: { prop: ... }`).
    let ownValue: [Bool]
    public let sources: [Source?]
    public let halfLifeMillis: Int64

    public static let defaultHalfLifeMillis: Int64 = 30 * 86_400_000

    /// Values from the plan.
    public init(plan: TrackingPlan, halfLifeMillis: Int64 = defaultHalfLifeMillis) {
        var points: [Double?] = [], own: [Bool] = [], sources: [Source?] = []
        for definition in plan.conversions {
            guard definition.kind == .micro else { points.append(nil); own.append(false); sources.append(nil); continue }
            switch definition.value {
            case .fixed(let value)?: points.append(value); own.append(false); sources.append(.plan)
            case .prop?: points.append(0); own.append(true); sources.append(.plan)
            case nil: points.append(1); own.append(false); sources.append(.default)
            }
        }
        self.points = points
        ownValue = own
        self.sources = sources
        self.halfLifeMillis = halfLifeMillis
    }

    /// Values learned from a predictive report's model: 10 × ln(odds ratio), at least 0.
    public init(plan: TrackingPlan, learnedFrom report: PredictiveValueReport, halfLifeMillis: Int64 = defaultHalfLifeMillis) {
        let learned = Dictionary(report.micros.map { ($0.name, $0.model.map { max(0, 10 * log($0.oddsRatio)) } ?? 0) },
                                 uniquingKeysWith: { a, _ in a })
        points = plan.conversions.map { $0.kind == .micro ? (learned[$0.name] ?? 0) : nil }
        ownValue = plan.conversions.map { _ in false }
        sources = plan.conversions.map { $0.kind == .micro ? .learned : nil }
        self.halfLifeMillis = halfLifeMillis
    }

    /// A definition's points, for the report; nil when not scored.
    public func points(of definition: Int) -> Double? { ownValue[definition] ? nil : points[definition] }

    /// The person's score at `asOf` from their counted micro completions before it.
    @inline(__always)
    func score(_ matches: UnsafeBufferPointer<TimelineMatch>, asOf: Int64) -> Double {
        var total = 0.0
        for match in matches where match.counted && match.time < asOf {
            let d = Int(match.definition)
            guard let base = points[d] else { continue }
            let value = ownValue[d] ? match.value : base
            guard value != 0 else { continue }
            total += value * exp2(-Double(asOf - match.time) / Double(halfLifeMillis))
        }
        return total
    }
}
