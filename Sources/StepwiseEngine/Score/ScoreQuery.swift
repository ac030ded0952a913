import StepwisePlan

/// "How warm is each lead" (SPEC §4.4): a decayed sum of each person's micro completions.
public struct ScoreQuery: Sendable {
    public var site: String
    public var plan: TrackingPlan
    /// Completions from `from` count; scores are taken at `to` (default: the site's last event).
    public var from: Int64?
    public var to: Int64?
    public var halfLifeMillis: Int64
    public var top: Int
    /// Values from the predictive model of `macro` instead of the plan.
    public var learned: Bool
    /// The macro whose later conversions the score should rank; default the plan's first macro.
    public var macro: String?
    /// Scores at the cut-off rank who converts after it; default 7 days before the end.
    public var cutoff: Int64?
    public var segments: [Segment]
    public var includeBots: Bool

    public init(site: String, plan: TrackingPlan, from: Int64? = nil, to: Int64? = nil,
                halfLifeMillis: Int64 = ScoreWeights.defaultHalfLifeMillis, top: Int = 50, learned: Bool = false,
                macro: String? = nil, cutoff: Int64? = nil, segments: [Segment] = [], includeBots: Bool = false) {
        self.site = site
        self.plan = plan
        self.from = from
        self.to = to
        self.halfLifeMillis = halfLifeMillis
        self.top = top
        self.learned = learned
        self.macro = macro
        self.cutoff = cutoff
        self.segments = segments
        self.includeBots = includeBots
    }

    public static let defaultCutoffMillis: Int64 = 7 * 86_400_000

    /// The predictive report learned values come from: the macro's, over the scored range.
    public func learning(asOf: Int64) throws(PredictQuery.Invalid) -> PredictQuery {
        guard let macro = macro ?? plan.macros.first?.name else {
            throw PredictQuery.Invalid(field: "learned", reason: "the plan defines no macro to learn values from")
        }
        return PredictQuery(site: site, plan: plan, macro: macro, from: from, to: asOf, segments: segments, includeBots: includeBots)
    }
}
