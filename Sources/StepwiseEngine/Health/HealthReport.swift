import StepwiseCore

/// Is tracking healthy: open and recent anomalies with their evidence, data quality, and the
/// annotations that may explain them. Encoded with snake_case keys (`ReportEncoding`).
public struct HealthReport: Sendable, Equatable, Codable {
    public enum Status: String, Sendable, Codable { case healthy, anomalies, warmingUp = "warming_up", noData = "no_data" }

    public var site: String
    /// The moment judged and the plan-calendar days listed.
    public var evaluatedAt: String
    public var from: String
    public var to: String
    public var historyWeeks: Int
    public var status: Status
    public var open: [Anomaly]
    /// Anomalies in the listed days that have since closed.
    public var recent: [Anomaly]
    /// Series and segments judged on the last day, and those still warming up.
    public var seriesJudged: Int
    public var seriesWarmingUp: Int
    public var quality: DataQuality
    /// Daily values with their expected band, for each definition and ratio (charts).
    public var series: [SeriesTrace]
    public var annotations: [AnnotationNote]
    public var method: String
}

public struct Anomaly: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable {
        case drop, spike, silent
        case ratioDrop = "ratio_drop", ratioRise = "ratio_rise"
        case botShare = "bot_share"
    }
    public enum SeriesKind: String, Sendable, Codable { case event, definition, ratio, traffic }
    public enum Severity: String, Sendable, Codable, Comparable {
        case minor, major, critical
        public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
        var rank: Int { self == .minor ? 0 : self == .major ? 1 : 2 }
    }

    /// Stable while the anomaly stays open: alerts use it so one anomaly alerts once.
    public var key: String
    public var kind: Kind
    public var seriesKind: SeriesKind
    public var series: String
    /// `device=mobile` when the anomaly is confined to one segment; nil for the whole site.
    public var segment: String?
    public var severity: Severity
    /// First and last anomalous day (plan calendar).
    public var started: String
    public var lastSeen: String
    public var days: Int
    public var open: Bool
    /// The evidence of the last anomalous day.
    public var evidence: Evidence
    /// Annotations from a day before the start to the end of its first day.
    public var annotations: [AnnotationNote]
    public var why: String
}

public struct Evidence: Sendable, Equatable, Codable {
    public var day: String
    /// Count, or ratio for ratio anomalies; `partial_day` when the day is still running.
    public var observed: Double
    public var expected: Double
    /// The band the value left: expected ± threshold · σ.
    public var low: Double
    public var high: Double
    public var z: Double
    /// The history the band was drawn from (oldest first) and how it was chosen.
    public var history: [Double]
    public var baseline: String
    public var partialDay: Bool
    /// For ratios, the day's denominator.
    public var denominator: Double?
}

public struct DataQuality: Sendable, Equatable, Codable {
    public var accepted: Int
    public var duplicates: Int
    public var duplicateRate: Double?
    /// Rejected events by error code over the listed days, most first.
    public var rejected: [CodeCount]
    /// Events that arrived in the listed days and no plan definition or funnel uses.
    public var unplannedEvents: [EventVolume]
    public var propTypeDrift: [PropTypeDrift]
    /// Share of events with a bot signal on the last full day, against its usual share.
    public var botShare: Double?
    public var botShareExpected: Double?
}

public struct CodeCount: Sendable, Equatable, Codable {
    public var code: String
    public var count: Int
}

public struct EventVolume: Sendable, Equatable, Codable {
    public var event: String
    public var events: Int
}

/// A prop that used to arrive as one JSON type and now also arrives as another.
public struct PropTypeDrift: Sendable, Equatable, Codable {
    public var event: String
    public var key: String
    public var usualType: String
    public var newType: String
    /// Events in the last 7 days with the new type, and the first UTC day it was seen.
    public var events: Int
    public var since: String
}

public struct SeriesTrace: Sendable, Equatable, Codable {
    public var series: String
    public var seriesKind: Anomaly.SeriesKind
    public var points: [TracePoint]
}

public struct TracePoint: Sendable, Equatable, Codable {
    public var day: String
    public var value: Double?
    public var expected: Double?
    public var low: Double?
    public var high: Double?
    public var anomalous: Bool
}

/// An annotation as reports show it.
public struct AnnotationNote: Sendable, Equatable, Codable {
    public var id: Int64
    public var at: String
    public var kind: String
    public var text: String

    public init(_ annotation: Annotation) {
        id = annotation.id
        at = Timestamp.formatRFC3339(annotation.at)
        kind = annotation.kind
        text = annotation.text
    }
}
