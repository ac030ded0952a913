/// An experiment's counts as another store computes them (ClickHouse, per person in SQL):
/// the report, its tests and its verdict are then the embedded scan's own.
public struct ExperimentAggregates: Sendable {
    /// Per variant, in plan order: persons exposed to it alone, their conversions per metric
    /// (primary first) at or after their first exposure, and the sum and sum of squares of
    /// their revenue.
    public var persons: [Int]
    public var conversions: [[Int]]
    public var revenue: [Double]
    public var revenueSquares: [Double]
    /// Persons exposed to more than one variant (left out of every count).
    public var mixed = 0

    public init(variants: Int, metrics: Int) {
        persons = Array(repeating: 0, count: variants)
        conversions = Array(repeating: Array(repeating: 0, count: metrics), count: variants)
        revenue = Array(repeating: 0, count: variants)
        revenueSquares = revenue
    }

    public func report(_ query: ExperimentQuery) throws(PredictQuery.Invalid) -> ExperimentReport {
        let scan = try ExperimentCalculator.scan(query)
        let variants = scan.experiment.variants.count, metrics = scan.metrics.count
        var tally = ExperimentCalculator.Tally(variants: variants, metrics: metrics)
        for v in 0..<min(variants, persons.count) {
            tally.persons[v] = persons[v]
            tally.revenue[v] = revenue[v]
            tally.revenueSquares[v] = revenueSquares[v]
            for m in 0..<min(metrics, conversions[v].count) { tally.conversions[v * metrics + m] = conversions[v][m] }
        }
        tally.mixed = mixed
        return ExperimentCalculator.report(query: query, experiment: scan.experiment, tally: tally, metricNames: scan.metricNames,
                                           hasRevenue: !scan.valued.isEmpty)
    }
}
