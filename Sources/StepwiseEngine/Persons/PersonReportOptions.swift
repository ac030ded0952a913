import Foundation
import StepwiseCore
import StepwisePlan

/// The text options of the person-level reports (predict, score, audiences), parsed one way
/// for the CLI and the API so both reject the same input with the same words.
public enum PersonReportOptions {
    /// A positive plan duration (`30d`, `12h`, `2w`).
    public static func duration(_ text: String, field: String) throws(PredictQuery.Invalid) -> Int64 {
        guard let millis = PlanDuration.millis(text), millis > 0 else {
            throw PredictQuery.Invalid(field: field, reason: "'\(text)' is not a duration; use a whole number and s, m, h, d or w, e.g. 30d")
        }
        return millis
    }

    /// A comma-separated list of definition names.
    public static func names(_ text: String, field: String) throws(PredictQuery.Invalid) -> [String] {
        let names = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard !names.isEmpty, !names.contains(where: \.isEmpty) else {
            throw PredictQuery.Invalid(field: field, reason: "must be a comma-separated list of definition names")
        }
        return names
    }

    /// A whole number in `range`.
    public static func count(_ text: String, field: String, in range: ClosedRange<Int>) throws(PredictQuery.Invalid) -> Int {
        guard let value = Int(text), range.contains(value) else {
            throw PredictQuery.Invalid(field: field, reason: "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// `true` or `false`.
    public static func flag(_ text: String, field: String) throws(PredictQuery.Invalid) -> Bool {
        guard let value = Bool(text) else { throw PredictQuery.Invalid(field: field, reason: "must be true or false") }
        return value
    }

    /// A lookback and an explicit start exclude each other.
    public static func checkLookback(from: Int64?, lookback: String?) throws(PredictQuery.Invalid) {
        if from != nil, lookback != nil {
            throw PredictQuery.Invalid(field: "lookback", reason: "give either from or lookback, not both")
        }
    }
}

extension PredictQuery.Invalid: CustomStringConvertible {
    public var description: String { "\(field): \(reason)" }
}

extension PredictQuery {
    /// A query from the text options both the CLI and the API take. The macro defaults to
    /// the plan's first.
    public static func fromOptions(
        site: String, plan: TrackingPlan, from: Int64?, to: Int64?, segments: [Segment], includeBots: Bool,
        macro: String?, micros: String?, lookback: String?
    ) throws(Invalid) -> PredictQuery {
        try PersonReportOptions.checkLookback(from: from, lookback: lookback)
        guard let macro = macro ?? plan.macros.first?.name else {
            throw Invalid(field: "macro", reason: "the plan defines no macro; name one with macro")
        }
        var query = PredictQuery(site: site, plan: plan, macro: macro, from: from, to: to, segments: segments, includeBots: includeBots)
        if let micros { query.micros = try PersonReportOptions.names(micros, field: "micros") }
        if let lookback { query.lookbackMillis = try PersonReportOptions.duration(lookback, field: "lookback") }
        _ = try query.resolve()
        return query
    }
}

extension ScoreQuery {
    /// A query from the text options both the CLI and the API take.
    public static func fromOptions(
        site: String, plan: TrackingPlan, from: Int64?, to: Int64?, segments: [Segment], includeBots: Bool,
        top: String?, halfLife: String?, learned: Bool, macro: String?, cutoff: String?
    ) throws(PredictQuery.Invalid) -> ScoreQuery {
        var query = ScoreQuery(site: site, plan: plan, from: from, to: to, learned: learned, macro: macro, segments: segments,
                               includeBots: includeBots)
        if let top { query.top = try PersonReportOptions.count(top, field: "top", in: 0...10_000) }
        if let halfLife { query.halfLifeMillis = try PersonReportOptions.duration(halfLife, field: "half_life") }
        if let macro, !plan.conversions.contains(where: { $0.name == macro }) {
            throw PredictQuery.Invalid(field: "macro", reason: "'\(macro)' is not a definition of the plan")
        }
        if let cutoff {
            do {
                query.cutoff = try DateBound.parse(from: cutoff, to: nil, calendar: plan.calendar).from
            } catch {
                throw PredictQuery.Invalid(field: "cutoff", reason: "'\(cutoff)' \(error.reason)")
            }
        }
        return query
    }
}
