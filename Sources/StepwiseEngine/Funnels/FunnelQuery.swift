import StepwiseCore
import StepwisePlan

/// "Where does the journey leak": a funnel over a site's events (SPEC §4.2).
public struct FunnelQuery: Sendable {
    public typealias Order = FunnelDefinition.Order
    /// What the funnel counts: persons (attempts across their sessions) or sessions.
    public enum Unit: String, Sendable, CaseIterable, Codable { case person, session }

    public struct Step: Sendable {
        public var name: String
        public var matcher: EventMatcher
    }

    /// An event that voids an attempt when it happens strictly after step `from` and before
    /// step `to` is reached (inside the window).
    public struct Exclusion: Sendable {
        public var name: String
        public var matcher: EventMatcher
        public var from: Int
        public var to: Int
    }

    public struct Invalid: Error, Sendable, CustomStringConvertible {
        public var field: String
        public var description: String
    }

    /// Mixpanel's and Amplitude's default conversion window.
    public static let defaultWindowMillis: Int64 = 30 * 86_400_000

    public var site: String
    public var name: String?
    public var steps: [Step]
    public var windowMillis: Int64
    public var order: Order
    public var exclusions: [Exclusion] = []
    public var unit: Unit = .person
    public var breakdown: Segment.Dimension?
    public var from: Int64?
    public var to: Int64?
    public var segments: [Segment] = []
    public var includeBots = false
    public var interval: RatesQuery.Interval = .day
    public var calendar: LocalCalendar = .utc
    public var sessionTimeoutMillis: Int64 = SessionSplitter.defaultTimeoutMillis

    /// Steps named by the user: a plan definition when the plan has one of that name, else a
    /// raw event name. Exclusions are written `NAME` (whole funnel) or `NAME:FROM:TO` (step names).
    public init(site: String, stepNames: [String], plan: TrackingPlan?, windowMillis: Int64? = nil, order: Order = .ordered,
                exclusions: [String] = []) throws(Invalid) {
        guard stepNames.count >= 2 else { throw Invalid(field: "steps", description: "a funnel needs at least two steps") }
        guard stepNames.count <= 32 else { throw Invalid(field: "steps", description: "a funnel has at most 32 steps") }
        guard !stepNames.contains(where: \.isEmpty) else { throw Invalid(field: "steps", description: "a step name is empty") }
        self.site = site
        steps = stepNames.map { name in Step(name: name, matcher: plan?.conversion(named: name)?.when ?? EventMatcher(event: name)) }
        self.windowMillis = windowMillis ?? Self.defaultWindowMillis
        self.order = order
        if let plan { calendar = plan.calendar; sessionTimeoutMillis = plan.sessionTimeoutMillis }
        for text in exclusions { try exclude(text, plan: plan) }
    }

    /// Adds an exclusion written `NAME` (whole funnel) or `NAME:FROM_STEP:TO_STEP`.
    public mutating func exclude(_ text: String, plan: TrackingPlan?) throws(Invalid) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 1 || parts.count == 3, !parts[0].isEmpty else {
            throw Invalid(field: "exclude", description: "exclude '\(text)' must be NAME or NAME:FROM_STEP:TO_STEP")
        }
        try addExclusion(parts[0], between: parts.count == 3 ? (parts[1], parts[2]) : nil, plan: plan)
    }

    /// A funnel of the plan.
    public init(site: String, funnel: FunnelDefinition, plan: TrackingPlan) throws(Invalid) {
        try self.init(site: site, stepNames: funnel.steps.map(\.name), plan: plan, windowMillis: funnel.windowMillis, order: funnel.order)
        name = funnel.name
        // A raw `{event: X}` step is the event even where a definition has the same name.
        for (k, step) in funnel.steps.enumerated() { if case .event(let event) = step { steps[k].matcher = EventMatcher(event: event) } }
        for exclusion in funnel.exclude { try addExclusion(exclusion.event, between: exclusion.between, plan: plan) }
    }

    private mutating func addExclusion(_ name: String, between: (String, String)?, plan: TrackingPlan?) throws(Invalid) {
        guard exclusions.count < 32 else { throw Invalid(field: "exclude", description: "a funnel has at most 32 exclusions") }
        guard order != .any else {
            throw Invalid(field: "exclude", description: "exclusions need an ordered or strict funnel: in any order there is no 'between'")
        }
        var range = (0, steps.count - 1)
        if let between {
            guard let a = steps.firstIndex(where: { $0.name == between.0 }), let b = steps.firstIndex(where: { $0.name == between.1 }), a < b else {
                throw Invalid(field: "exclude", description: "exclude \(name) between \(between.0) and \(between.1): both must be steps, the first before the second")
            }
            range = (a, b)
        }
        exclusions.append(Exclusion(name: name, matcher: plan?.conversion(named: name)?.when ?? EventMatcher(event: name), from: range.0, to: range.1))
    }
}
