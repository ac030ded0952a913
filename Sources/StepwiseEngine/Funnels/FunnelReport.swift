/// The answer to a `FunnelQuery` (snake_case JSON through `ReportEncoding`).
public struct FunnelReport: Sendable, Equatable, Encodable {
    public var site: String
    public var funnel: String?
    public var order: String
    public var windowSeconds: Int64
    public var per: FunnelQuery.Unit
    public var from: String?
    public var to: String?
    public var segments: [String]
    public var timezone: String
    public var steps: [FunnelStepResult]
    /// The transition that loses the most, and the one with the lowest rate; nil without a loss.
    public var biggestLeak: Leak?
    public var lowestRate: Leak?
    public var breakdown: [BreakdownRow]?
    public var trend: [TrendPoint]

    public struct Leak: Sendable, Equatable, Encodable {
        public var from: String
        public var to: String
        public var lost: Int
        public var rate: Double
    }

    public struct BreakdownRow: Sendable, Equatable, Encodable {
        public var value: String
        public var steps: [FunnelStepResult]
    }

    /// Attempts by the period of their entry: how many entered and how many completed.
    public struct TrendPoint: Sendable, Equatable, Encodable {
        public var period: String
        public var entered: Int
        public var completed: Int
        public var rate: Double?
    }
}

/// One step: how many reached it (`persons`, or `sessions` when counting sessions).
public struct FunnelStepResult: Sendable, Equatable, Encodable {
    public var name: String
    public var count: Int
    public var unit: FunnelQuery.Unit
    public var rateFromPrevious: Double?
    public var rateFromStart: Double?
    public var dropped: Int
    public var medianSecondsFromPrevious: Double?
    public var p90SecondsFromPrevious: Double?

    enum CodingKeys: String, CodingKey {
        case name, persons, sessions, rateFromPrevious, rateFromStart, dropped, medianSecondsFromPrevious, p90SecondsFromPrevious
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(count, forKey: unit == .person ? .persons : .sessions)
        try container.encode(rateFromPrevious, forKey: .rateFromPrevious)
        try container.encode(rateFromStart, forKey: .rateFromStart)
        try container.encode(dropped, forKey: .dropped)
        try container.encode(medianSecondsFromPrevious, forKey: .medianSecondsFromPrevious)
        try container.encode(p90SecondsFromPrevious, forKey: .p90SecondsFromPrevious)
    }
}
