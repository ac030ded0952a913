/// The answer to an `ExperimentQuery`. Encoded with snake_case keys (`ReportEncoding`).
public struct ExperimentReport: Sendable, Equatable, Codable {
    public var site: String
    public var experiment: String
    public var from: String?
    public var to: String?
    public var control: String
    public var variants: [VariantExposure]
    /// Persons exposed to more than one variant: reported, and left out of every metric.
    public var mixedExposures: Int
    public var sampleRatio: SampleRatioCheck
    public var metrics: [ExperimentMetric]
    /// Loud warnings: a sample-ratio mismatch, or the primary micro up while a guardrail macro falls.
    public var warnings: [String]
    public var verdict: Verdict
    public var why: String

    public enum Verdict: String, Sendable, Codable {
        case ship, doNotShip = "do_not_ship", stop, keepRunning = "keep_running", invalid
    }
}

public struct VariantExposure: Sendable, Equatable, Codable {
    public var name: String
    public var weight: Int
    public var persons: Int
}

/// Persons per variant against the configured weights (Pearson chi-square); a mismatch at
/// p < 0.001 means the assignment or the tracking is broken and no result can be trusted.
public struct SampleRatioCheck: Sendable, Equatable, Codable {
    public var chiSquare: Double
    public var pValue: Double
    public var mismatch: Bool
}

public struct ExperimentMetric: Sendable, Equatable, Codable {
    public enum Role: String, Sendable, Codable { case primary, guardrail, revenue }

    public var name: String
    public var role: Role
    public var variants: [VariantMetric]
}

public struct VariantMetric: Sendable, Equatable, Codable {
    public var variant: String
    public var persons: Int
    /// Persons who converted after their first exposure (rates), nil for revenue.
    public var conversions: Int?
    /// Conversion rate with its Wilson interval (rates), or the mean per person (revenue).
    public var rate: Rate?
    public var mean: Double?
    /// Against control; nil for control itself.
    public var comparison: VariantComparison?
}
