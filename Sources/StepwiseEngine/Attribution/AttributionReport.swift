/// The answer to an `AttributionQuery`. Encoded with snake_case keys (`ReportEncoding`).
public struct AttributionReport: Sendable, Equatable, Codable {
    public var site: String
    public var macro: String
    public var from: String?
    public var to: String?
    public var lookback: String
    public var models: [AttributionModel]
    public var segments: [String]
    public var includeBots: Bool
    /// Counted conversions of the macro in the range, and their value.
    public var conversions: Int
    public var revenue: Double
    /// The currency of imported spend, when there is any.
    public var currency: String?
    /// Credit per channel, then per tagged campaign (`utm_campaign`), best first.
    public var channels: [AttributionRow]
    public var campaigns: [AttributionRow]
    /// What persons who arrived through each channel (their first session in the range) went on to do.
    public var quality: [ChannelQuality]
    public var campaignQuality: [ChannelQuality]
    /// How touchpoints and credit are defined, said once.
    public var method: String
}

/// Conversion credit of one channel or campaign under each model asked for.
public struct AttributionRow: Sendable, Equatable, Codable {
    public var channel: String
    /// nil on a channel row.
    public var campaign: String?
    public var credit: ModelCredit
    /// Credit × each conversion's value.
    public var revenue: ModelCredit
    /// Conversions whose path touched this channel (or campaign) somewhere other than at the
    /// last non-direct touchpoint.
    public var assisted: Int
    public var cost: Double?
    /// Cost divided by the credit, per model; nil without spend or without credit.
    public var costPerConversion: ModelCredit?
}

/// One number per attribution model; a model not asked for is left out.
public struct ModelCredit: Sendable, Equatable, Codable {
    public var first: Double?
    public var lastNonDirect: Double?
    public var linear: Double?
    public var timeDecay: Double?
    public var position: Double?

    public init() {}

    public subscript(model: AttributionModel) -> Double? {
        get {
            switch model {
            case .first: first
            case .lastNonDirect: lastNonDirect
            case .linear: linear
            case .timeDecay: timeDecay
            case .position: position
            }
        }
        set {
            switch model {
            case .first: first = newValue
            case .lastNonDirect: lastNonDirect = newValue
            case .linear: linear = newValue
            case .timeDecay: timeDecay = newValue
            case .position: position = newValue
            }
        }
    }
}

/// Channel quality: the persons a channel or campaign brought, and the progress they made.
public struct ChannelQuality: Sendable, Equatable, Codable {
    public var channel: String
    public var campaign: String?
    public var persons: Int
    /// Each plan micro's rate among these persons.
    public var micros: [MicroProgress]
    /// Share of these persons who reached the macro, and the macro value per person.
    public var macroRate: Rate
    public var revenuePerPerson: Double?
    public var cost: Double?
    public var costPerPerson: Double?
    public var costPerMacro: Double?
}

public struct MicroProgress: Sendable, Equatable, Codable {
    public var name: String
    public var rate: Rate
    /// Cost per person who did the micro; nil without spend or without such persons.
    public var costPerPerson: Double?
}
