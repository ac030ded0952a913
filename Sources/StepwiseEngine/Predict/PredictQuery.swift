import StepwisePlan

/// "Which micros predict the macro" (SPEC §4.3): persons active over a lookback, grouped by
/// whether they did each micro before their first macro.
public struct PredictQuery: Sendable {
    public var site: String
    public var plan: TrackingPlan
    /// The macro definition G.
    public var macro: String
    /// Micro definitions to judge; all the plan's micros when empty.
    public var micros: [String]
    /// Inclusive start and exclusive end of the lookback, milliseconds since the epoch. The
    /// end defaults to just after the site's last event, the start to `lookbackMillis` before the end.
    public var from: Int64?
    public var to: Int64?
    public var lookbackMillis: Int64 = PredictQuery.defaultLookbackMillis
    public var segments: [Segment]
    public var includeBots: Bool
    /// Whether to fit the multivariate model (the benchmark times the univariate part alone).
    public var fitsModel = true

    /// The most micros one model takes: each is one bit of a person's pattern.
    public static let maxMicros = 64
    public static let defaultLookbackMillis: Int64 = 30 * 86_400_000

    public init(site: String, plan: TrackingPlan, macro: String, micros: [String] = [], from: Int64? = nil, to: Int64? = nil,
                segments: [Segment] = [], includeBots: Bool = false) {
        self.site = site
        self.plan = plan
        self.macro = macro
        self.micros = micros
        self.from = from
        self.to = to
        self.segments = segments
        self.includeBots = includeBots
    }

    /// A lookback window resolved against the site's last kept event: the end defaults to just
    /// after it (0 when there is none), the start to `lookbackMillis` before the end. Shared by
    /// the reports that look back (predictive value, paths) on every store.
    public static func window(from: Int64?, to: Int64?, lookbackMillis: Int64, lastEvent: Int64?) -> (from: Int64, to: Int64) {
        let end = to ?? lastEvent.map { $0 + 1 } ?? 0
        return (from ?? end - lookbackMillis, end)
    }

    /// A query the plan cannot answer: the field and why.
    public struct Invalid: Error, Sendable, Equatable {
        public var field: String
        public var reason: String
    }

    /// The macro's and the micros' definition indices in the plan.
    public func resolve() throws(Invalid) -> (macro: Int, micros: [Int]) {
        let index = Dictionary(plan.conversions.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        guard let g = index[macro] else {
            let macros = plan.macros.map(\.name).joined(separator: ", ")
            throw Invalid(field: "macro", reason: "'\(macro)' is not a definition of the plan (its macros: \(macros.isEmpty ? "none" : macros))")
        }
        let names = micros.isEmpty ? plan.micros.map(\.name).filter { $0 != macro } : micros
        var resolved: [Int] = []
        for name in names {
            guard let m = index[name] else { throw Invalid(field: "micros", reason: "'\(name)' is not a definition of the plan") }
            guard m != g else { throw Invalid(field: "micros", reason: "'\(name)' is the macro itself") }
            if !resolved.contains(m) { resolved.append(m) }
        }
        guard !resolved.isEmpty else { throw Invalid(field: "micros", reason: "the plan defines no micro to judge") }
        guard resolved.count <= Self.maxMicros else {
            throw Invalid(field: "micros", reason: "\(resolved.count) micros; at most \(Self.maxMicros) per report")
        }
        return (g, resolved)
    }
}
