/// What a store sums for an attribution report, per session source (channel and campaign):
/// the embedded scan folds its workers' tallies into it, ClickHouse fills it from grouped
/// rows; `AttributionCalculator.report` turns either into the same answer.
public struct AttributionAggregates: Sendable {
    public struct Source: Hashable, Sendable {
        public var channel: UInt8
        /// `utm_campaign`, empty when untagged.
        public var campaign: String

        public init(channel: UInt8, campaign: String) {
            self.channel = channel
            self.campaign = campaign
        }
    }

    public struct Totals: Sendable {
        /// Per model (the query's order): credit, and credit × conversion value.
        public var credit: [Double]
        public var revenue: [Double]
        /// Conversions this source assisted (a touchpoint other than the last non-direct one).
        public var assisted = 0
        /// Persons whose first session in the range came from this source; of them, those who
        /// did each micro, those who reached the macro, and the macro's value they brought.
        public var persons = 0
        public var microPersons: [Int]
        public var macroPersons = 0
        public var macroValue = 0.0

        public init(models: Int, micros: Int) {
            credit = [Double](repeating: 0, count: models)
            revenue = credit
            microPersons = [Int](repeating: 0, count: micros)
        }
    }

    public var sources: [Source: Totals] = [:]
    /// Conversions each channel assisted, counted once per conversion however many of its
    /// campaigns did (by `Channel` raw value).
    public var channelAssisted: [Int]
    public var conversions = 0
    public var value = 0.0

    public init(channels: Int) {
        channelAssisted = [Int](repeating: 0, count: channels)
    }
}
