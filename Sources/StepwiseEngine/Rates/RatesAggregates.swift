import StepwiseCore
import StepwisePlan

/// A rates report's counts as another store computes them (ClickHouse, per person in SQL):
/// the report is then built by the code that builds the embedded scan's, so the two cannot
/// differ in rates, series buckets, quantile interpolation or frequency bands, only in the
/// counts themselves.
public struct RatesAggregates: Sendable {
    /// The first and last event of the kept persons (bots left out unless asked), over all
    /// time: the series spans them. Nil when there are none.
    public var first: Int64?
    public var last: Int64?
    /// Persons and sessions with an event the range and segments keep.
    public var persons = 0
    public var sessions = 0
    /// Such persons by series bucket: the bucket's index is its first local day's number
    /// (days since 1970-01-01) for days, `floor((day + 3) / 7)` for weeks (Mondays).
    public var activePersons: [Int64: Int] = [:]
    /// One per plan definition, in plan order.
    public var definitions: [Definition]
    /// Per pair of consecutive funnel steps that are both definitions, in plan order: persons
    /// who did the first, and persons who did both.
    public var stepPersons: [StepPersons] = []

    public struct StepPersons: Sendable {
        public var first: Int
        public var both: Int

        public init(first: Int, both: Int) {
            self.first = first
            self.both = both
        }
    }

    public struct Definition: Sendable {
        public var completions = 0
        public var persons = 0
        public var sessions = 0
        public var value = 0.0
        public var audienceSize = 0
        public var audienceCompleted = 0
        /// By series bucket index, as `activePersons`.
        public var seriesCompletions: [Int64: Int] = [:]
        public var seriesPersons: [Int64: Int] = [:]
        /// Whole seconds (truncated) from each completing person's first event to their first match.
        public var fromFirstVisit: OrderStatistics?
        /// Milliseconds from each completing session's start to its first match.
        public var fromSessionStart: OrderStatistics?
        /// Completing persons by their completions.
        public var frequencies: [Int: Int] = [:]
        /// Each completing person's last match (a timestamp), sorted newest first: recency
        /// (days to the as-of moment) then sorts as the embedded scan sorts it.
        public var lastMatches: OrderStatistics?

        public init() {}
    }

    /// The pairs of consecutive funnel steps that are both definitions, by definition index,
    /// in the order `stepPersons` and the report's `stepRates` list them.
    public static func stepPairs(of plan: TrackingPlan) -> [(funnel: String, from: Int, to: Int)] {
        RatesTally.stepPairs(of: plan)
    }

    public init(definitions: Int) {
        self.definitions = Array(repeating: Definition(), count: definitions)
    }

    public func report(_ query: RatesQuery) -> RatesReport {
        let last = last ?? .min
        let buckets = SeriesBuckets(query, first: first ?? .max, last: last)
        let asOf = RatesCalculator.asOf(query, last: last)
        let n = query.plan.conversions.count
        var tally = RatesTally(definitions: n, buckets: buckets.count)
        tally.personsActive = persons
        tally.sessions = sessions
        let firstIndex = buckets.firstIndex
        func bucket(_ index: Int64) -> Int? {
            let b = Int(index - firstIndex)
            return b >= 0 && b < buckets.count ? b : nil
        }
        for (index, count) in activePersons { if let b = bucket(index) { tally.seriesActivePersons[b] += count } }
        var summaries: [RatesTally.Summaries] = []
        for (d, definition) in definitions.prefix(n).enumerated() {
            tally.completions[d] = definition.completions
            tally.persons[d] = definition.persons
            tally.sessionsMatched[d] = definition.sessions
            tally.value[d] = definition.value
            tally.audienceSize[d] = definition.audienceSize
            tally.audienceCompleted[d] = definition.audienceCompleted
            for (index, count) in definition.seriesCompletions { if let b = bucket(index) { tally.seriesCompletions[d * buckets.count + b] += count } }
            for (index, count) in definition.seriesPersons { if let b = bucket(index) { tally.seriesPersons[d * buckets.count + b] += count } }
            summaries.append(definition.summaries(asOf: asOf))
        }
        summaries += Array(repeating: RatesTally.Summaries(), count: n - summaries.count)
        let pairs = Self.stepPairs(of: query.plan)
        tally.stepPersons = pairs.indices.flatMap { k in k < stepPersons.count ? [stepPersons[k].first, stepPersons[k].both] : [0, 0] }
        return tally.report(query: query, buckets: buckets, stepPairs: pairs, summaries: summaries)
    }
}

extension RatesAggregates.Definition {
    /// Quantiles as the embedded scan's `Samples` hold them: durations and recency clamped to `UInt32`.
    func summaries(asOf: Int64) -> RatesTally.Summaries {
        func clamped(_ value: Int64) -> Double { Double(UInt32(clamping: value)) }
        var out = RatesTally.Summaries()
        if let stats = fromFirstVisit, let (median, p90) = stats.medianAndP90(clamped) {
            out.fromFirstVisit = DurationSummary(count: stats.count, medianSeconds: median, p90Seconds: p90)
        }
        if let stats = fromSessionStart, let (median, p90) = stats.medianAndP90(clamped) {
            out.fromSessionStart = DurationSummary(count: stats.count, medianSeconds: median * 0.001, p90Seconds: p90 * 0.001)
        }
        let histogram = frequencies.map { (value: Double(UInt32(clamping: $0.key)), count: $0.value) }
        if let (median, p90) = Quantile.medianAndP90(histogram: histogram) {
            var tally = FrequencyTally()
            for (completions, persons) in frequencies { tally.add(UInt32(clamping: completions), times: persons) }
            out.frequency = tally.frequency(median: median, p90: p90)
        }
        if let stats = lastMatches, let (median, p90) = stats.medianAndP90({ clamped((asOf - $0) / 1000) }) {
            out.recency = Recency(asOf: Timestamp.formatRFC3339(asOf), medianDays: median / 86_400, p90Days: p90 / 86_400)
        }
        return out
    }
}
