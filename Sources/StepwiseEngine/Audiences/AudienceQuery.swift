import StepwisePlan

/// Who is in the plan's audiences now (SPEC §4.5).
public struct AudienceQuery: Sendable {
    public var site: String
    public var plan: TrackingPlan
    /// The moment membership is judged at; default just after the site's last event.
    public var asOf: Int64?
    /// Further filters on top of the audience's rule.
    public var segments: [Segment]
    public var includeBots: Bool
    /// Half-life of the score behind `min_score`.
    public var halfLifeMillis: Int64

    public init(site: String, plan: TrackingPlan, asOf: Int64? = nil, segments: [Segment] = [], includeBots: Bool = false,
                halfLifeMillis: Int64 = ScoreWeights.defaultHalfLifeMillis) {
        self.site = site
        self.plan = plan
        self.asOf = asOf
        self.segments = segments
        self.includeBots = includeBots
        self.halfLifeMillis = halfLifeMillis
    }
}
