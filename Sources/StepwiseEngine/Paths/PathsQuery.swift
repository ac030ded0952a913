import StepwisePlan

/// "Which micros lead to the macro" (SPEC §4.6): the commonest sequences of micros before the
/// macro, and those of persons who did not convert.
public struct PathsQuery: Sendable {
    public var site: String
    public var plan: TrackingPlan
    public var macro: String
    public var top = 20
    /// Paths keep their last `maxLength` steps, the ones nearest the macro.
    public var maxLength = 6
    /// The window, as in the predictive report: `lookbackMillis` up to just after the site's last event by default.
    public var from: Int64?
    public var to: Int64?
    public var lookbackMillis: Int64 = PredictQuery.defaultLookbackMillis
    public var segments: [Segment]
    public var includeBots: Bool

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
        macro: String?, top: String?, maxLength: String?, lookback: String?
    ) throws(PredictQuery.Invalid) -> PathsQuery {
        try PersonReportOptions.checkLookback(from: from, lookback: lookback)
        var query = PathsQuery(site: site, plan: plan, macro: try AttributionQuery.macro(macro, in: plan), from: from, to: to,
                               segments: segments, includeBots: includeBots)
        if let top { query.top = try PersonReportOptions.count(top, field: "top", in: 1...1_000) }
        if let maxLength { query.maxLength = try PersonReportOptions.count(maxLength, field: "max_length", in: 1...50) }
        if let lookback { query.lookbackMillis = try PersonReportOptions.duration(lookback, field: "lookback") }
        return query
    }
}
