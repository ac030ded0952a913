import StepwiseCore

/// A site's tracking plan (`stepwise.yml`, SPEC §2): the definitions that turn raw events
/// into micro- and macro-conversions, plus funnels, audiences and experiments.
public struct TrackingPlan: Sendable, Equatable {
    public var site: String
    public var timezone: String?
    /// Days of `timezone` (UTC without one): date bounds and daily series follow it.
    public var calendar: LocalCalendar = .utc
    public var currency: String?
    public var sessionTimeoutMillis: Int64 = 30 * 60 * 1000
    public var conversions: [ConversionDefinition] = []
    public var funnels: [FunnelDefinition] = []
    public var audiences: [AudienceDefinition] = []
    public var experiments: [ExperimentDefinition] = []
    /// Ease (1–10) of test ideas by key, overriding the hypothesis board's default of 5.
    public var ease: [String: Int] = [:]
    public var health = HealthSettings()

    public init(site: String) { self.site = site }

    public func conversion(named name: String) -> ConversionDefinition? {
        conversions.first { $0.name == name }
    }

    public var micros: [ConversionDefinition] { conversions.filter { $0.kind == .micro } }
    public var macros: [ConversionDefinition] { conversions.filter { $0.kind == .macro } }
}

/// One named rule that turns matching events into a conversion.
public struct ConversionDefinition: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable { case micro, macro }
    public enum MicroType: String, Sendable, CaseIterable {
        case processMilestone = "process_milestone", secondaryAction = "secondary_action", engagement, exploration, lead, content, onboarding
    }
    public enum Intent: String, Sendable, CaseIterable { case low, medium, high }
    public enum Stage: String, Sendable, CaseIterable { case awareness, consideration, intent, purchase }
    /// How completions are counted: every match, the first per session, or the first per person.
    public enum CountRule: String, Sendable, CaseIterable { case every, oncePerSession = "once_per_session", oncePerPerson = "once_per_person" }
    public enum Value: Sendable, Equatable {
        case fixed(Double)
        /// A property of the matching event that holds a number.
        case prop(String)
    }

    public var name: String
    public var kind: Kind
    public var description: String?
    public var when: EventMatcher
    public var type: MicroType?
    public var intent: Intent?
    public var stage: Stage?
    public var count: CountRule = .every
    public var value: Value?
    /// The audience a rate is divided by (e.g. product-page viewers); nil means persons.
    public var denominator: EventMatcher?
    /// Line of the definition in the plan file, for lint messages.
    public var line: Int

    public init(name: String, kind: Kind, when: EventMatcher, line: Int = 0) {
        self.name = name
        self.kind = kind
        self.when = when
        self.line = line
    }
}

/// `when:`: which events match. Event-level conditions plus two behavioural ones.
public struct EventMatcher: Sendable, Equatable {
    public var event: String?
    public var path: Glob?
    public var url: Glob?
    public var referrer: Glob?
    public var props: [PropCondition] = []
    /// The n-th matching event of a session (e.g. "read a second article").
    public var nthInSession: Int?
    /// A session that starts within this many milliseconds of the person's previous one.
    public var returnedWithinMillis: Int64?

    public init(event: String? = nil) { self.event = event }

    /// Only an event name: matching needs nothing but the name.
    public var isNameOnly: Bool {
        path == nil && url == nil && referrer == nil && props.isEmpty && nthInSession == nil && returnedWithinMillis == nil
    }

    /// A rule that is only `event: pageview` matches every page view: not a micro-conversion.
    public var isBarePageview: Bool {
        event == "pageview" && path == nil && url == nil && referrer == nil && props.isEmpty && nthInSession == nil && returnedWithinMillis == nil
    }
}

/// A condition on one event property.
public struct PropCondition: Sendable, Equatable {
    public enum Operator: String, Sendable, CaseIterable { case eq, ne, gt, gte, lt, lte, `in`, contains, matches }
    public enum Operand: Sendable, Equatable {
        case string(String)
        case number(Double)
        case bool(Bool)
        case list([Operand])
    }

    public var key: String
    public var op: Operator
    public var operand: Operand

    public init(key: String, op: Operator, operand: Operand) {
        self.key = key
        self.op = op
        self.operand = operand
    }
}

public struct FunnelDefinition: Sendable, Equatable {
    public enum Order: String, Sendable, CaseIterable { case ordered, strict, any }
    /// A step: a plan definition, or a raw event name written `{event: NAME}`.
    public enum Step: Sendable, Equatable {
        case definition(String)
        case event(String)

        public var name: String {
            switch self {
            case .definition(let name), .event(let name): name
            }
        }
    }
    public struct Exclusion: Sendable, Equatable {
        public var event: String
        /// Step names the exclusion applies between; nil for the whole funnel.
        public var between: (String, String)?

        public static func == (a: Exclusion, b: Exclusion) -> Bool {
            a.event == b.event && a.between?.0 == b.between?.0 && a.between?.1 == b.between?.1
        }
    }

    public var name: String
    public var steps: [Step]
    public var windowMillis: Int64?
    public var order: Order = .ordered
    public var exclude: [Exclusion] = []
}

public struct AudienceDefinition: Sendable, Equatable {
    public var name: String
    public var did: [String] = []
    public var not: [String] = []
    public var withinMillis: Int64?
    public var minScore: Double?
    /// Only persons whose events these segments keep (`device=mobile`, `channel=Paid Search`).
    public var segments: [Segment] = []
    /// Called with a signed POST when a person enters the audience.
    public var webhook: String?
}

public struct ExperimentDefinition: Sendable, Equatable {
    public var name: String
    public var variants: [(name: String, weight: Int)]
    public var primary: String
    public var guardrails: [String] = []

    public static func == (a: ExperimentDefinition, b: ExperimentDefinition) -> Bool {
        a.name == b.name && a.primary == b.primary && a.guardrails == b.guardrails
            && a.variants.map { "\($0.name)=\($0.weight)" } == b.variants.map { "\($0.name)=\($0.weight)" }
    }
}

/// How tracking health is watched (`health:`): history depth, extra ratios, where alerts go.
public struct HealthSettings: Sendable, Equatable {
    /// Weeks of same-weekday history the expected band is drawn from.
    public var historyWeeks = 4
    /// Conversion ratios to watch besides consecutive funnel steps and definitions' denominators:
    /// (numerator, denominator) definition names.
    public var ratios: [(numerator: String, denominator: String)] = []
    /// Receives a signed POST when an anomaly opens and when it closes.
    public var webhook: String?

    public init() {}

    public static func == (a: HealthSettings, b: HealthSettings) -> Bool {
        a.historyWeeks == b.historyWeeks && a.webhook == b.webhook
            && a.ratios.map { [$0.numerator, $0.denominator] } == b.ratios.map { [$0.numerator, $0.denominator] }
    }
}
