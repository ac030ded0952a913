/// The answer to a `PredictQuery`. Encoded with snake_case keys (`ReportEncoding`).
public struct PredictiveValueReport: Sendable, Equatable, Codable {
    public var site: String
    public var macro: String
    public var from: String?
    public var to: String?
    public var segments: [String]
    public var includeBots: Bool
    /// Persons with an event in the lookback, and those of them who reached the macro.
    public var persons: Int
    public var converters: Int
    public var baseRate: Rate
    public var micros: [PredictiveValue]
    public var model: ModelSummary?
    /// Said once: these are associations, and only an experiment proves a cause.
    public var caution: String
}

/// What one micro says about the macro.
public struct PredictiveValue: Sendable, Equatable, Codable {
    public enum Verdict: String, Sendable, Codable, CaseIterable {
        case strong, weak, noEvidence = "no_evidence", negative, vanity
    }

    public var name: String
    /// Persons who did the micro before their first macro (or did it and never converted).
    public var persons: Int
    /// The macro rate of persons who did the micro first, and of those who did not.
    public var rateWith: Rate
    public var rateWithout: Rate
    /// rate_with / rate_without; nil when undefined.
    public var lift: Double?
    /// 95 % interval of the lift (log method); nil when a group has no converter.
    public var liftCi95: [Double]?
    public var pValue: Double
    public var test: TwoByTwo.Test
    /// Share of converters who did the micro before converting.
    public var coverage: Rate
    /// Share of persons who did the micro (before converting, if they did).
    public var prevalence: Rate
    /// From the person's first time doing the micro to their first macro, over converters who did it first.
    public var lag: DurationSummary?
    /// The micro's weight in the multivariate model; nil when it does not vary.
    public var model: ModelWeight?
    public var verdict: Verdict
    public var why: String
}

/// A micro's independent weight once the other micros are accounted for.
public struct ModelWeight: Sendable, Equatable, Codable {
    /// Coefficient on the standardised indicator (per standard deviation).
    public var coefficient: Double
    public var standardError: Double
    /// Odds ratio of doing the micro, all else equal, with its 95 % interval.
    public var oddsRatio: Double
    public var oddsRatioCi95: [Double]
}

public struct ModelSummary: Sendable, Equatable, Codable {
    public var method: String
    public var intercept: Double
    public var iterations: Int
    /// Mean area under the ROC curve over the folds, each scored by a model fitted without it.
    public var cvAuc: Double?
    public var folds: Int
}
