/// One lint finding: what is off, where, and why it matters.
public struct PlanWarning: Sendable, Equatable {
    public enum Code: String, Sendable {
        case tooManyMicros = "too_many_micros"
        case barePageview = "bare_pageview"
        case notSnakeCase = "not_snake_case"
        case unlinkedMicro = "unlinked_micro"
        case noMacro = "no_macro"
        case untrackedEvent = "untracked_event"
    }

    public var code: Code
    public var subject: String
    public var line: Int
    public var message: String
    public var why: String
}

/// The warnings of SPEC §2: plans that load but will mislead.
public enum PlanLinter {
    public static let maxMicrosPerMacro = 15

    /// `observedEvents`: event names seen in the site's traffic, when known.
    public static func lint(_ plan: TrackingPlan, observedEvents: [String]? = nil) -> [PlanWarning] {
        var warnings: [PlanWarning] = []
        let micros = plan.micros
        let macros = plan.macros
        if macros.isEmpty {
            warnings.append(.init(code: .noMacro, subject: plan.site, line: 1, message: "the plan defines no macro-conversion",
                                  why: "micros are only worth tracking for the primary goal they lead to"))
        } else if micros.count > maxMicrosPerMacro * macros.count {
            warnings.append(.init(code: .tooManyMicros, subject: plan.site, line: micros[maxMicrosPerMacro * macros.count].line,
                                  message: "\(micros.count) micros for \(macros.count) macro\(macros.count == 1 ? "" : "s")",
                                  why: "more than \(maxMicrosPerMacro) micros per macro dilutes attention; keep the ones that predict the macro"))
        }
        for definition in plan.conversions where definition.when.isBarePageview {
            warnings.append(.init(code: .barePageview, subject: definition.name, line: definition.line,
                                  message: "\(definition.name) matches every pageview",
                                  why: "a pageview is not a deliberate step; restrict it to a page (path: /pricing*)"))
        }
        let names = plan.conversions.map { ($0.name, $0.line) } + plan.funnels.map { ($0.name, 0) }
            + plan.audiences.map { ($0.name, 0) } + plan.experiments.map { ($0.name, 0) }
        for (name, line) in names where !isSnakeCase(name) {
            warnings.append(.init(code: .notSnakeCase, subject: name, line: line, message: "'\(name)' is not snake_case",
                                  why: "consistent names (pricing_view) keep reports and queries readable across teams"))
        }
        let linked = Set(plan.funnels.flatMap { $0.steps.map(\.name) } + plan.experiments.map(\.primary))
        for micro in micros where !linked.contains(micro.name) {
            warnings.append(.init(code: .unlinkedMicro, subject: micro.name, line: micro.line,
                                  message: "\(micro.name) is in no funnel and is no experiment's primary metric",
                                  why: "a micro linked to no macro cannot show it drives the goal; it risks being a vanity metric"))
        }
        if let observedEvents {
            let used = Set(plan.conversions.flatMap { [$0.when.event, $0.denominator?.event].compactMap { $0 } }
                + plan.funnels.flatMap { $0.steps.compactMap { if case .event(let name) = $0 { name } else { nil } } + $0.exclude.map(\.event) })
            for event in observedEvents.sorted() where !used.contains(event) && !event.hasPrefix("$") {
                warnings.append(.init(code: .untrackedEvent, subject: event, line: 0,
                                      message: "'\(event)' arrives in traffic but no definition uses it",
                                      why: "either it is a step worth defining, or instrumentation sends noise"))
            }
        }
        return warnings
    }

    static func isSnakeCase(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, ("a"..."z").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
            && !name.hasSuffix("_") && !name.contains("__")
    }
}
