import StepwiseCore
import StepwisePlan

/// "Which channels bring progress" (SPEC §4.6): credit for a macro's conversions in a range,
/// shared among each converter's sessions over a lookback, and what each channel's persons went on to do.
public struct AttributionQuery: Sendable {
    public var site: String
    public var plan: TrackingPlan
    /// The macro whose conversions are credited; the plan's first macro by default.
    public var macro: String
    public var models: [AttributionModel] = AttributionModel.allCases
    /// How far before a conversion a session still counts as a touchpoint.
    public var lookbackMillis: Int64 = 30 * 86_400_000
    /// Conversions (and, for channel quality, persons) inside `from ..< to`; all time when nil.
    public var from: Int64?
    public var to: Int64?
    public var segments: [Segment]
    public var includeBots: Bool
    /// Imported ad spend; rows outside the range are ignored.
    public var spend: [AdSpend] = []

    public init(site: String, plan: TrackingPlan, macro: String, from: Int64? = nil, to: Int64? = nil,
                segments: [Segment] = [], includeBots: Bool = false) {
        self.site = site
        self.plan = plan
        self.macro = macro
        self.from = from
        self.to = to
        self.segments = segments
        self.includeBots = includeBots
    }

    /// A query from the text options both the CLI and the API take.
    public static func fromOptions(
        site: String, plan: TrackingPlan, from: Int64?, to: Int64?, segments: [Segment], includeBots: Bool,
        macro: String?, model: String?, lookback: String?
    ) throws(PredictQuery.Invalid) -> AttributionQuery {
        let macro = try Self.macro(macro, in: plan)
        var query = AttributionQuery(site: site, plan: plan, macro: macro, from: from, to: to, segments: segments, includeBots: includeBots)
        if let model { query.models = try AttributionModel.parse(model) }
        if let lookback { query.lookbackMillis = try PersonReportOptions.duration(lookback, field: "lookback") }
        return query
    }

    /// A definition of the plan to treat as the macro: the named one, else the plan's first macro.
    public static func macro(_ name: String?, in plan: TrackingPlan, field: String = "macro") throws(PredictQuery.Invalid) -> String {
        guard let name = name ?? plan.macros.first?.name else {
            throw PredictQuery.Invalid(field: field, reason: "the plan defines no macro; name one with \(field)")
        }
        guard plan.conversions.contains(where: { $0.name == name }) else {
            let macros = plan.macros.map(\.name).joined(separator: ", ")
            throw PredictQuery.Invalid(field: field, reason: "'\(name)' is not a definition of the plan (its macros: \(macros.isEmpty ? "none" : macros))")
        }
        return name
    }
}
