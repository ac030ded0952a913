import StepwisePlan

/// "How often is each definition of the plan completed, and by whom" (SPEC §4.1).
public struct RatesQuery: Sendable {
    public enum Interval: String, Sendable, CaseIterable, Codable {
        case day, week

        var millis: Int64 { self == .day ? 86_400_000 : 7 * 86_400_000 }
    }

    public var site: String
    public var plan: TrackingPlan
    /// Inclusive start and exclusive end, milliseconds since the epoch.
    public var from: Int64?
    public var to: Int64?
    public var segments: [Segment]
    public var interval: Interval
    public var includeBots: Bool
    /// The moment recency is measured to; nil means the end of the range, or the site's
    /// last event when the range is open.
    public var asOf: Int64?

    public init(site: String, plan: TrackingPlan, from: Int64? = nil, to: Int64? = nil, segments: [Segment] = [],
                interval: Interval = .day, includeBots: Bool = false, asOf: Int64? = nil) {
        self.site = site
        self.plan = plan
        self.from = from
        self.to = to
        self.segments = segments
        self.interval = interval
        self.includeBots = includeBots
        self.asOf = asOf
    }
}
