import StepwisePlan

/// "Did the treatment move the primary micro without hurting the macro" (SPEC §4.7).
public struct ExperimentQuery: Sendable {
    public var site: String
    public var plan: TrackingPlan
    public var experiment: String
    public var from: Int64?
    public var to: Int64?
    public var segments: [Segment]
    public var includeBots: Bool

    public init(site: String, plan: TrackingPlan, experiment: String, from: Int64? = nil, to: Int64? = nil, segments: [Segment] = [],
                includeBots: Bool = false) {
        self.site = site
        self.plan = plan
        self.experiment = experiment
        self.from = from
        self.to = to
        self.segments = segments
        self.includeBots = includeBots
    }

    /// The event the tracker and the assignment record when a person sees a variant.
    public static let exposureEvent = "$exposure"
}
