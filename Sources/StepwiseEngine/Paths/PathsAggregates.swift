/// Micro paths as another store counts them (ClickHouse, per person in SQL): the ranking and
/// rates are then the embedded scan's own.
public struct PathsAggregates: Sendable {
    /// Persons who followed `steps` (plan definition indices, consecutive repeats collapsed,
    /// the last `maxLength` kept; `truncated` when earlier ones were cut), and how many of them
    /// reached the macro.
    public struct Path: Sendable {
        public var steps: [Int]
        public var truncated: Bool
        public var persons: Int
        public var converters: Int

        public init(steps: [Int], truncated: Bool, persons: Int, converters: Int) {
            self.steps = steps
            self.truncated = truncated
            self.persons = persons
            self.converters = converters
        }
    }

    public var paths: [Path] = []

    public init() {}

    /// The report of `query`, whose window `PathsCalculator.resolved` has fixed.
    public func report(_ query: PathsQuery) throws(PredictQuery.Invalid) -> PathsReport {
        let macro = try AttributionQuery.macro(query.macro, in: query.plan)
        var counts: [PathsCalculator.PathKey: (persons: Int, converters: Int)] = [:]
        for path in paths where path.persons > 0 {
            let key = PathsCalculator.PathKey(steps: path.steps.map(Int32.init), truncated: path.truncated)
            counts[key, default: (0, 0)].persons += path.persons
            counts[key]!.converters += path.converters
        }
        return PathsCalculator.report(query, macro: macro, paths: counts)
    }
}
