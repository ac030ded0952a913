/// A predictive-value report's counts as another store computes them (ClickHouse, per person
/// in SQL): the persons by fold and pattern, and each micro's lag quantiles. The 2×2 tables,
/// tests, model and verdicts are then computed by the embedded scan's own code.
public struct PredictAggregates: Sendable {
    /// Persons who did exactly the micros of `pattern` (bit k: the k-th micro of
    /// `PredictQuery.resolve()`) before their first macro, in cross-validation fold `fold`.
    public struct Pattern: Sendable {
        public var fold: Int
        public var pattern: UInt64
        public var persons: Int
        public var converted: Int

        public init(fold: Int, pattern: UInt64, persons: Int, converted: Int) {
            self.fold = fold
            self.pattern = pattern
            self.persons = persons
            self.converted = converted
        }
    }

    public var patterns: [Pattern] = []
    /// Per micro (by bit): whole seconds (truncated) from each converter's first time doing it
    /// to their first macro.
    public var lags: [OrderStatistics?]

    public init(micros: Int) {
        lags = Array(repeating: nil, count: micros)
    }

    /// The report of `query`, whose lookback `PredictiveValueCalculator.resolved` has fixed.
    public func report(_ query: PredictQuery) throws(PredictQuery.Invalid) -> PredictiveValueReport {
        let (g, micros) = try query.resolve()
        var folds = [[UInt64: PatternCount]](repeating: [:], count: PredictiveValueCalculator.folds)
        for row in patterns where row.persons > 0 && folds.indices.contains(row.fold) {
            folds[row.fold][row.pattern, default: PatternCount(pattern: row.pattern, persons: 0, converted: 0)].persons += row.persons
            folds[row.fold][row.pattern]!.converted += row.converted
        }
        let summaries = micros.indices.map { bit -> DurationSummary? in
            guard bit < lags.count, let stats = lags[bit], let (median, p90) = stats.medianAndP90({ Double(UInt32(clamping: $0)) }) else { return nil }
            return DurationSummary(count: stats.count, medianSeconds: median, p90Seconds: p90)
        }
        return PredictiveValueCalculator.report(query, macro: g, micros: micros, folds: folds, lags: summaries)
    }
}
