import Hummingbird
import StepwiseEngine
import StepwisePlan

/// Channels: credit for the macro under each model beside the progress of the persons each
/// channel brought, and the cost of that progress when spend was imported.
extension Dashboard {
    func attribution(_ state: DashboardState, plan: TrackingPlan) async throws -> View {
        let filter = try filter(state, plan: plan)
        let controls = Self.macroPicker(state, plan: plan)
        var query = try ReportController.checked {
            try AttributionQuery.fromOptions(site: state.site, plan: plan, from: filter.from, to: filter.to, segments: filter.segments,
                                             includeBots: filter.includeBots, macro: state.value("macro"), model: nil, lookback: state.value("lookback"))
        }
        query.spend = try store.spend(site: state.site)
        let report = try await ReportController.checked { try await backend.attribution(query) }
        let api = state.api("attribution", keys: DashboardState.filterKeys + ["macro", "lookback"])
        let money = report.currency.map { " (\($0))" } ?? ""
        var body = "<p class=\"muted\">\(DashboardLayout.int(report.conversions, "conversions")) \(escape(report.macro)) conversions, revenue "
            + "\(DashboardLayout.decimal(report.revenue, "revenue"))\(escape(money)); lookback \(escape(report.lookback)). \(escape(report.method))</p>"
        let models = report.models
        body += "<h3>Credit by model</h3>" + DashboardLayout.table(
            ["Channel"] + models.map { DashboardLayout.label($0.rawValue) } + ["Assisted", "Cost\(money)", "Cost per conversion (last non-direct)"],
            report.channels.enumerated().map { k, row in
                [escape(row.channel)] + models.map { DashboardLayout.decimal(row.credit[$0], "channels.\(k).credit.\($0.rawValue)") }
                    + [DashboardLayout.int(row.assisted, "channels.\(k).assisted"), DashboardLayout.decimal(row.cost, row.cost == nil ? nil : "channels.\(k).cost"),
                       DashboardLayout.decimal(row.costPerConversion?.lastNonDirect)]
            })
        let micros = report.quality.first?.micros.map(\.name) ?? []
        body += "<h3>Quality: what the persons each channel brought went on to do</h3>" + DashboardLayout.table(
            ["Channel", "Persons"] + micros.map { "\($0) rate" } + ["\(report.macro) rate", "Revenue per person", "Cost per person"],
            report.quality.enumerated().map { k, q in
                [escape(q.channel), DashboardLayout.int(q.persons, "quality.\(k).persons")]
                    + q.micros.enumerated().map { m, micro in DashboardLayout.percent(micro.rate.rate, "quality.\(k).micros.\(m).rate.rate") }
                    + [DashboardLayout.percent(q.macroRate.rate, "quality.\(k).macro_rate.rate"), DashboardLayout.decimal(q.revenuePerPerson),
                       DashboardLayout.decimal(q.costPerPerson)]
            })
        return View(body: DashboardLayout.section("Channels for \(report.macro)", api: api, body), controls: controls)
    }
}
