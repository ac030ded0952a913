import Hummingbird
import StepwiseEngine
import StepwisePlan

/// The tracking plan as the site owner reads it: definitions grouped by stage and intent, and
/// the linter's warnings with why each matters.
extension Dashboard {
    func planPage(_ state: DashboardState, plan: TrackingPlan) async throws -> View {
        let counts = try await backend.eventCounts(EventCountsQuery(site: state.site, sessionTimeoutMillis: plan.sessionTimeoutMillis))
        let warnings = PlanLinter.lint(plan, observedEvents: counts.events.map(\.event))
        var body = ""
        let stages = plan.conversions.map { $0.stage?.rawValue ?? "no stage" }.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        for stage in stages {
            let group = plan.conversions.filter { ($0.stage?.rawValue ?? "no stage") == stage }
            let intents = group.map { $0.intent?.rawValue ?? "no intent" }.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
            body += "<h3>Stage: \(escape(stage))</h3>"
            for intent in intents {
                body += "<h4>Intent: \(escape(intent))</h4>" + DashboardLayout.table(["Definition", "Kind", "When", "Type", "Count", "Value", "Denominator", "Description"],
                    group.filter { ($0.intent?.rawValue ?? "no intent") == intent }.map { d in
                        [escape(d.name), d.kind.rawValue, escape(Self.describe(d.when)), d.type?.rawValue ?? "", d.count.rawValue,
                         d.value.map(Self.describe) ?? "1 point", d.denominator.map { escape(Self.describe($0)) } ?? "persons", escape(d.description ?? "")]
                    }, text: [2, 7])
            }
        }
        if !plan.funnels.isEmpty {
            body += "<h3>Funnels</h3><ul>" + plan.funnels.map { "<li><strong>\(escape($0.name))</strong>: \(escape($0.steps.map(\.name).joined(separator: " → ")))</li>" }.joined() + "</ul>"
        }
        var lint = warnings.isEmpty ? "<p class=\"good\">No warnings.</p>" : ""
        if !warnings.isEmpty {
            lint += DashboardLayout.table(["Warning", "Line", "Why it matters"], warnings.map { w in
                ["<code>\(escape(w.code.rawValue))</code> \(escape(w.message))", w.line > 0 ? String(w.line) : "", escape(w.why)]
            }, text: [2])
        }
        return View(body: DashboardLayout.section("Definitions", api: nil, body) + DashboardLayout.section("Lint", api: nil, lint))
    }

    static func describe(_ matcher: EventMatcher) -> String {
        var parts: [String] = []
        if let event = matcher.event { parts.append(event) }
        if let path = matcher.path { parts.append("path \(path.pattern)") }
        if let url = matcher.url { parts.append("url \(url.pattern)") }
        if let referrer = matcher.referrer { parts.append("referrer \(referrer.pattern)") }
        parts += matcher.props.map { "props.\($0.key) \($0.op.rawValue) …" }
        if let nth = matcher.nthInSession { parts.append("nth in session \(nth)") }
        return parts.isEmpty ? "any event" : parts.joined(separator: ", ")
    }

    static func describe(_ value: ConversionDefinition.Value) -> String {
        switch value {
        case .fixed(let points): String(format: "%g", points)
        case .prop(let key): "props.\(escape(key))"
        }
    }
}
