/// The answer to a `RatesQuery`: one entry per plan definition, in plan order. Encoded
/// with snake_case keys (`ReportEncoding`).
public struct RatesReport: Sendable, Equatable, Codable {
    public var site: String
    public var from: String?
    public var to: String?
    public var segments: [String]
    public var interval: RatesQuery.Interval
    /// The plan's time zone: series days and date bounds are its days.
    public var timezone: String
    public var includeBots: Bool
    public var sessionTimeoutSeconds: Int64
    /// Persons and sessions with at least one event the range and segments keep: the
    /// denominators of the per-person and per-session rates.
    public var persons: Int
    public var sessions: Int
    public var definitions: [DefinitionRates]
    /// Consecutive funnel steps: persons who did both among those who did the first, in any
    /// order (the funnel report orders them and applies the window).
    public var stepRates: [StepRate]
}

public struct StepRate: Sendable, Equatable, Codable {
    public var funnel: String
    public var from: String
    public var to: String
    public var rate: Rate
}

public struct DefinitionRates: Sendable, Equatable, Codable {
    public var name: String
    public var kind: String
    public var description: String?
    public var type: String?
    public var intent: String?
    public var stage: String?
    /// The plan's count rule, applied to `completions` (and `value`, `frequency`).
    public var count: String
    public var completions: Int
    /// Persons and sessions with at least one match, whatever the count rule.
    public var persons: Int
    public var sessions: Int
    /// Sum of the completions' values; nil when the definition has no value.
    public var value: Double?
    public var perPerson: Rate
    public var perSession: Rate
    /// Rate among the definition's denominator audience; nil when it has none.
    public var perAudience: Rate?
    /// The denominator audience in words (`pageview with path /product/*`).
    public var audience: String?
    public var series: [SeriesPoint]
    public var timeToComplete: TimeToComplete
    public var frequency: Frequency?
    public var recency: Recency?
}

/// One day or week of a definition's series.
public struct SeriesPoint: Sendable, Equatable, Codable {
    /// First day of the bucket, `YYYY-MM-DD` in the plan's time zone (weeks start on Monday).
    public var start: String
    /// Completions in the bucket, and persons who matched in it (the rate's numerator).
    public var completions: Int
    public var persons: Int
    public var perPerson: Rate
}

/// Median and 90th percentile of a duration, over `count` samples.
public struct DurationSummary: Sendable, Equatable, Codable {
    public var count: Int
    public var medianSeconds: Double
    public var p90Seconds: Double
}

public struct TimeToComplete: Sendable, Equatable, Codable {
    /// From the person's first event ever to their first completion in the range.
    public var fromFirstVisit: DurationSummary?
    /// From the session's start to the session's first completion, over completing sessions.
    public var fromSessionStart: DurationSummary?
}

/// Completions per completing person.
public struct Frequency: Sendable, Equatable, Codable {
    public var mean: Double
    public var median: Double
    public var p90: Double
    /// Persons by completions: "1", "2", "3", "4-5", "6-10", "11+".
    public var distribution: [Bucket]

    public struct Bucket: Sendable, Equatable, Codable {
        public var completions: String
        public var persons: Int
    }
}

/// Days from each completing person's last match to the report's as-of moment.
public struct Recency: Sendable, Equatable, Codable {
    public var asOf: String
    public var medianDays: Double
    public var p90Days: Double
}
