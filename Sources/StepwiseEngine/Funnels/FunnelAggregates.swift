import StepwisePlan

/// A funnel's counts as another store computes them (ClickHouse, per unit in SQL): the same
/// report is then built by the same code as the embedded scan's, so the two cannot differ in
/// rates, leaks, quantiles or trend periods, only in the counts themselves.
public struct FunnelAggregates: Sendable {
    /// Units (persons or sessions) whose best attempt reached `level` steps, by breakdown
    /// value (nil without a breakdown) and the local day number of the attempt's entry.
    public struct Units: Sendable {
        public var level: Int
        public var breakdown: String?
        public var day: Int64
        public var count: Int

        public init(level: Int, breakdown: String?, day: Int64, count: Int) {
            self.level = level
            self.breakdown = breakdown
            self.day = day
            self.count = count
        }
    }

    /// How many best attempts took `seconds` (whole, truncated) from step `step - 1` to `step`.
    public struct Gaps: Sendable {
        public var step: Int
        public var seconds: Int64
        public var count: Int

        public init(step: Int, seconds: Int64, count: Int) {
            self.step = step
            self.seconds = seconds
            self.count = count
        }
    }

    public var units: [Units] = []
    public var gaps: [Gaps] = []

    public init(units: [Units] = [], gaps: [Gaps] = []) {
        self.units = units
        self.gaps = gaps
    }

    public func report(_ query: FunnelQuery) -> FunnelReport {
        let n = query.steps.count
        var tally = FunnelTally(steps: n)
        for group in units where group.count > 0 {
            let level = min(max(group.level, 0), n)
            for k in 0..<level { tally.counts[k] += group.count }
            if let value = group.breakdown {
                var row = tally.breakdown[value] ?? Array(repeating: 0, count: n)
                for k in 0..<level { row[k] += group.count }
                tally.breakdown[value] = row
            }
            tally.count(day: group.day, entered: group.count, completed: level == n ? group.count : 0)
        }
        if query.order != .any {
            for gap in gaps where gap.step > 0 && gap.step < n && gap.count > 0 {
                tally.gaps[gap.step].append(contentsOf: repeatElement(gap.seconds * 1000, count: gap.count))
            }
        }
        return tally.report(query)
    }
}
