import Hummingbird
import StepwiseEngine
import StepwisePlan

/// Funnels: a plan funnel or one built from definitions, with a breakdown, the leak called out.
extension Dashboard {
    func funnels(_ state: DashboardState, plan: TrackingPlan) async throws -> View {
        let steps = state.values("steps")
        let chosen = state.value("funnel") ?? (steps.isEmpty ? plan.funnels.first?.name : nil)
        var controls = DashboardLayout.select("funnel", label: "Plan funnel",
                                              options: [("", "— build below —")] + plan.funnels.map { ($0.name, $0.name) }, selected: chosen)
        let names = plan.conversions.map(\.name)
        for k in 0..<max(3, min(steps.count + 1, 8)) {
            controls += DashboardLayout.select("steps", label: "Step \(k + 1)", options: [("", "—")] + names.map { ($0, $0) },
                                               selected: k < steps.count ? steps[k] : nil, autosubmit: false)
        }
        controls += DashboardLayout.select("breakdown", label: "Breakdown", options: [("", "none")] + Segment.dimensionNames.filter { !$0.hasPrefix("prop.") }.map { ($0, $0) },
                                           selected: state.value("breakdown"))
        controls += DashboardLayout.select("per", label: "Count", options: [("person", "persons"), ("session", "sessions")], selected: state.value("per") ?? "person")
        controls += DashboardLayout.select("order", label: "Order", options: [("", "plan's"), ("ordered", "ordered"), ("strict", "strict"), ("any", "any order")],
                                           selected: state.value("order"))
        controls += "<label>Window<input type=\"text\" name=\"window\" value=\"\(escape(state.value("window") ?? ""))\" placeholder=\"7d\" size=\"5\"></label>"

        let query: FunnelQuery
        var api: String?
        if let chosen, !chosen.isEmpty, steps.isEmpty {
            query = try FunnelController.planFunnel(site: state.site, name: chosen, plan: plan,
                                                    parameters: Self.parameters(state.pairs.filter { $0.0 != "funnel" }))
            api = state.api("funnels/\(DashboardState.pathEscape(chosen))", keys: DashboardState.filterKeys + ["breakdown", "window", "order", "per"])
        } else if steps.count >= 2 {
            let filter = try ReportFilter(state.filterPairs, allowed: state.tab.filters, calendar: plan.calendar)
            var built = try FunnelController.build {
                try FunnelQuery(site: state.site, stepNames: steps, plan: plan, windowMillis: try state.value("window").map(FunnelController.window),
                                order: try state.value("order").map(FunnelController.order) ?? .ordered, exclusions: [])
            }
            try FunnelController.apply(filter, unit: state.value("per"), breakdown: state.value("breakdown"), to: &built)
            query = built
        } else {
            return View(body: "<p class=\"note\">Pick a plan funnel, or choose at least two steps.</p>", controls: controls)
        }
        let report = try await backend.funnel(query)
        let unit = report.per == .person ? "persons" : "sessions"
        var body = funnelChart(report)
        body += DashboardLayout.table(["Step", unit.capitalized, "From previous", "From start", "Dropped", "Median time from previous"],
                                      report.steps.enumerated().map { k, step in
            [escape(step.name), DashboardLayout.int(step.count, "steps.\(k).\(unit)"), DashboardLayout.percent(step.rateFromPrevious, "steps.\(k).rate_from_previous"),
             DashboardLayout.percent(step.rateFromStart, "steps.\(k).rate_from_start"), DashboardLayout.int(step.dropped, "steps.\(k).dropped"),
             step.medianSecondsFromPrevious.map(Self.duration) ?? "–"]
        })
        if let breakdown = report.breakdown {
            let names = report.steps.map(\.name)
            body += "<h3>By \(escape(state.value("breakdown") ?? ""))</h3>" + DashboardLayout.table(
                ["Value"] + names + ["Converted"], breakdown.enumerated().map { b, row in
                    [escape(row.value)] + row.steps.enumerated().map { k, step in DashboardLayout.int(step.count, "breakdown.\(b).steps.\(k).\(unit)") }
                        + [DashboardLayout.percent(row.steps.last?.rateFromStart, "breakdown.\(b).steps.\(row.steps.count - 1).rate_from_start")]
                })
        }
        if report.trend.count > 1 {
            body += "<h3>Conversion by \(escape(query.interval.rawValue))</h3>" + SVGChart.trend(
                report.trend.map { SVGChart.Point(label: $0.period, value: $0.rate) }, label: "funnel conversion by period", percent: true)
        }
        let title = report.funnel.map { "Funnel \($0)" } ?? "Funnel " + steps.joined(separator: " → ")
        return View(body: DashboardLayout.section(title, api: api, body), controls: controls)
    }

    /// The steps as bars with the biggest leak in the leak colour and named below.
    func funnelChart(_ report: FunnelReport) -> String {
        let leakTo = report.biggestLeak.flatMap { leak in report.steps.firstIndex { $0.name == leak.to } }
        var html = SVGChart.funnel(report.steps.map { ($0.name, $0.count) }, leakTo: leakTo, label: "funnel \(report.funnel ?? "") by step")
        if let leak = report.biggestLeak {
            html += "<p>Biggest leak: <strong class=\"leak\">\(escape(leak.from)) → \(escape(leak.to))</strong>, "
                + "\(DashboardLayout.int(leak.lost, "biggest_leak.lost")) lost (\(DashboardLayout.percent(leak.rate, "biggest_leak.rate")) continue).</p>"
        }
        return html
    }

    static func duration(_ seconds: Double) -> String {
        seconds < 120 ? String(format: "%.0f s", seconds) : seconds < 7200 ? String(format: "%.0f min", seconds / 60)
            : seconds < 172_800 ? String(format: "%.1f h", seconds / 3600) : String(format: "%.1f d", seconds / 86400)
    }
}
