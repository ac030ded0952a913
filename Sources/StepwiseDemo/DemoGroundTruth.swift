/// What the generator knows to be true about the traffic it wrote, so tests can check
/// that reports recover it (SPEC §7).
public struct DemoGroundTruth: Sendable, Codable, Equatable {
    public struct MicroEffect: Sendable, Codable, Equatable {
        public var name: String
        public var prevalence: Double
        /// True multiplier on the macro rate of persons who did the micro.
        public var effect: Double
    }

    public struct Experiment: Sendable, Codable, Equatable {
        public var name: String
        public var variants: [String: Int]
        public var primary: String
        public var guardrail: String
        /// True relative lift of the primary step's probability for the treatment variant.
        public var treatment: String
        public var trueRelativeLift: Double
    }

    public var site: String
    public var seed: UInt64
    public var start: Int64
    public var end: Int64
    public var visitors: Int
    public var humanPersons: Int
    /// Bot visitors by `BotReason` description.
    public var botVisitors: [String: Int]
    public var macro: String
    public var funnel: [String]
    /// Human persons who reached each funnel step, in order, within the 7-day window.
    public var funnelPersons: [Int]
    /// Human persons who did each event at least once.
    public var personsByEvent: [String: Int]
    /// Human events by name.
    public var eventsByEvent: [String: Int]
    public var micros: [MicroEffect]
    public var postMacroMicro: String
    /// Funnel step that leaks more on mobile (the checkout step).
    public var mobileLeakStep: String
    public var experiment: Experiment?
    /// Persons stitched across two visitors by a shared user id.
    public var crossDevicePersons: Int
    /// Human persons by the channel (`Channel` name) they arrived through, and how many of them
    /// reached the funnel's first step: what channel quality must recover. Optional so truths
    /// stored before they were recorded still load.
    public var channelPersons: [String: Int]?
    public var channelFirstStep: [String: Int]?
}
