import Hummingbird
import StepwiseEngine
import StepwisePlan

/// The overview: persons, sessions, the macro rate and its trend, every definition's rate with
/// its interval and sparkline, and the first funnel.
extension Dashboard {
    func overview(_ state: DashboardState, plan: TrackingPlan) async throws -> View {
        let filter = try filter(state, plan: plan)
        let report = try await backend.rates(RatesQuery(site: state.site, plan: plan, from: filter.from, to: filter.to, segments: filter.segments,
                                                        interval: .day, includeBots: filter.includeBots))
        let api = state.api("rates", keys: DashboardState.filterKeys)
        let macroIndex = report.definitions.firstIndex { $0.kind == "macro" }
        var kpis = "<div class=\"kpis\">"
            + "<div class=\"kpi\"><div class=\"value\">\(DashboardLayout.int(report.persons, "persons"))</div><div class=\"label\">persons</div></div>"
            + "<div class=\"kpi\"><div class=\"value\">\(DashboardLayout.int(report.sessions, "sessions"))</div><div class=\"label\">sessions</div></div>"
        if let m = macroIndex {
            let macro = report.definitions[m]
            kpis += "<div class=\"kpi\"><div class=\"value\">\(DashboardLayout.percent(macro.perPerson.rate, "definitions.\(m).per_person.rate"))</div>"
                + "<div class=\"label\">\(escape(macro.name)) rate per person</div></div>"
        }
        kpis += "</div>"
        var body = DashboardLayout.section("Summary", api: api, kpis + trendChart(report, macroIndex) + ratesTable(report))
        if let funnel = plan.funnels.first {
            let query = try FunnelController.planFunnel(site: state.site, name: funnel.name, plan: plan,
                                                        parameters: Self.parameters(state.filterPairs))
            let result = try await backend.funnel(query)
            body += DashboardLayout.section("Funnel \(funnel.name)", api: state.api("funnels/\(DashboardState.pathEscape(funnel.name))", keys: DashboardState.filterKeys),
                                            funnelChart(result) + "<p><a href=\"\(escape(state.link(.funnels, adding: [("funnel", funnel.name)])))\">Explore funnels</a></p>")
        }
        return View(body: body)
    }

    /// The macro's daily rate per person with its Wilson band.
    func trendChart(_ report: RatesReport, _ index: Int?) -> String {
        guard let index, report.definitions[index].series.count > 1 else { return "" }
        let definition = report.definitions[index]
        let points = definition.series.map { point in
            SVGChart.Point(label: point.start, value: point.perPerson.rate, low: point.perPerson.ci95?[0], high: point.perPerson.ci95?[1])
        }
        return "<h3>\(escape(definition.name)) rate per person, by day</h3>"
            + SVGChart.trend(points, label: "daily \(definition.name) rate per person with its 95% interval", percent: true)
    }

    func ratesTable(_ report: RatesReport) -> String {
        let rows = report.definitions.enumerated().map { k, d -> [String] in
            let path = "definitions.\(k)"
            return [escape(d.name), escape(d.kind) + (d.stage.map { " · \(escape($0))" } ?? ""),
                    DashboardLayout.int(d.completions, "\(path).completions"), DashboardLayout.int(d.persons, "\(path).persons"),
                    DashboardLayout.rate(d.perPerson, "\(path).per_person"), DashboardLayout.rate(d.perSession, "\(path).per_session"),
                    d.perAudience.map { DashboardLayout.rate($0, "\(path).per_audience") + " <span class=\"muted\">of \(escape(d.audience ?? ""))</span>" } ?? "–",
                    SVGChart.sparkline(d.series.map(\.perPerson.rate), label: "\(d.name) daily rate")]
        }
        return DashboardLayout.table(["Conversion", "Kind", "Completions", "Persons", "Per person (95% CI)", "Per session (95% CI)",
                                      "Per denominator", "Trend"], rows)
    }
}
