import StepwiseCore
import StepwisePlan

/// What `HealthCalculator` judges: a site's series as of `now`, with what storage knows
/// (annotations, ingest outcomes) passed in so the engine stays pure.
public struct HealthQuery: Sendable {
    public var site: String
    public var plan: TrackingPlan
    /// The moment judged; its plan-calendar day is judged on the hours elapsed so far.
    public var now: Int64
    /// Days listed, today included.
    public var days = 14
    public var historyWeeks: Int
    public var annotations: [Annotation] = []
    public var ingest: [IngestTally] = []

    /// Robust standard deviations a value must leave the expected band by.
    public static let zThreshold = 4.0
    /// And by this many events (counts) or this relative change (ratios), so a tiny series
    /// never alarms on noise.
    public static let minimumDeviation = 5.0
    public static let minimumRatioChange = 0.25
    /// The bot share must move by this much (on a whole day) to be an anomaly.
    public static let minimumBotShareChange = 0.05
    /// A ratio is judged on days its denominator reaches this.
    public static let minimumDenominator = 30.0
    /// "Went silent": zero on a day expected to bring at least this many, with volume on
    /// at least three quarters of the history days.
    public static let silentExpected = 10.0
    /// Extra spread, as a share of the expected value, while the history is short.
    public static let warmUpWidening = 0.2

    public init(site: String, plan: TrackingPlan, now: Int64) {
        self.site = site
        self.plan = plan
        self.now = now
        historyWeeks = plan.health.historyWeeks
    }

    /// The plan-calendar days judged, today last (at midnight exactly, the day that just ended),
    /// and the first day of the history the first listed day is judged against.
    public var judgedDays: (history: Int64, firstListed: Int64, today: Int64) {
        let calendar = plan.calendar
        let today = calendar.day(of: now - 1)
        let firstListed = today - Int64(days) + 1
        return (firstListed - Int64(7 * historyWeeks), firstListed, today)
    }

    /// The hours counted (by their start, milliseconds): from the history's first day to the
    /// end of today.
    public var window: (from: Int64, to: Int64) {
        let judged = judgedDays
        return (plan.calendar.start(ofDay: judged.history), plan.calendar.start(ofDay: judged.today + 1))
    }

    /// Prop types are read by UTC day: the recent week ends today; the baseline is the
    /// `historyWeeks` before it.
    public var propTypeDays: (baseline: Int32, recent: Int32) {
        let recent = Int32(Timestamp.floorDivMod(now, 86_400_000).0) - 6
        return (recent - Int32(7 * historyWeeks), recent)
    }

    /// The first moment whose annotations and ingest outcomes a query lists: the listed days
    /// and the one before.
    public var factsFrom: Int64 { now - Int64(days + 1) * 86_400_000 }

    /// A query from the text options both the CLI and the API take.
    public static func fromOptions(site: String, plan: TrackingPlan, now: Int64, days: String?, weeks: String?) throws(PredictQuery.Invalid) -> HealthQuery {
        var query = HealthQuery(site: site, plan: plan, now: now)
        if let days { query.days = try PersonReportOptions.count(days, field: "days", in: 1...90) }
        if let weeks { query.historyWeeks = try PersonReportOptions.count(weeks, field: "weeks", in: 1...12) }
        return query
    }

    /// The definitions the volume index should count for a plan: each conversion, and each
    /// denominator as `NAME/denominator`, so conversion ratios are watched too.
    public static func watchedDefinitions(of plan: TrackingPlan) -> [(name: String, when: EventMatcher)] {
        plan.conversions.map { ($0.name, $0.when) }
            + plan.conversions.compactMap { definition in definition.denominator.map { ("\(definition.name)/denominator", $0) } }
    }
}
