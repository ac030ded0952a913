/// What a store counts for an engagement score report: the embedded scan fills it from every
/// person's score, ClickHouse from one aggregate row; `EngagementScoreCalculator.report`
/// turns either into the same answer.
public struct ScoreAggregates: Sendable {
    /// Persons active in the range, and those with a score above 0.
    public var persons = 0
    public var scored = 0
    /// The bands' cut-offs: median and 90th percentile of the positive scores (numpy's linear
    /// interpolation), and how many scores reach each.
    public var warmFrom = 0.0
    public var hotFrom = 0.0
    public var atLeastWarm = 0
    public var atLeastHot = 0
    /// The highest score, and persons per tenth of (0, highest] (`ScoreBin`).
    public var highest = 0.0
    public var bins: [Int] = []
    /// The warmest persons, ties by label (`PersonRanking`).
    public var top: [ScoredPerson] = []
    /// Scores at the cut-off against conversion after it.
    public var rankedPersons = 0
    public var rankedConverted = 0
    public var auc: Double?

    public init() {}

    /// Bands and bins from the positive scores, ascending.
    init(ascending scores: [Double]) {
        scored = scores.count
        guard !scores.isEmpty else { return }
        (warmFrom, hotFrom) = Quantile.interpolate(count: scores.count, values: Quantile.ranks(count: scores.count).map { scores[$0] })
        atLeastWarm = scores.count { $0 >= warmFrom }
        atLeastHot = scores.count { $0 >= hotFrom }
        highest = scores[scores.count - 1]
        bins = ScoreBin.counts(scores, highest: highest)
    }
}
