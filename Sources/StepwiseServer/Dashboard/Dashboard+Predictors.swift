import Hummingbird
import StepwiseEngine
import StepwisePlan

/// Which micro-conversions predict the macro, with lift intervals and the vanity ones flagged.
extension Dashboard {
    func predictors(_ state: DashboardState, plan: TrackingPlan) async throws -> View {
        let filter = try filter(state, plan: plan)
        let controls = Self.macroPicker(state, plan: plan)
        let query = try ReportController.checked {
            try PredictQuery.fromOptions(site: state.site, plan: plan, from: filter.from, to: filter.to, segments: filter.segments,
                                         includeBots: filter.includeBots, macro: state.value("macro"), micros: nil, lookback: state.value("lookback"))
        }
        let report = try await ReportController.checked { try await backend.predict(query) }
        let api = state.api("predict", keys: DashboardState.filterKeys + ["macro", "lookback"])
        // Strongest first; a micro only converters did ranks top, one nobody did last.
        func rank(_ micro: PredictiveValue) -> Double { micro.persons == 0 ? -1 : micro.lift ?? .infinity }
        let order = report.micros.indices.sorted { rank(report.micros[$0]) > rank(report.micros[$1]) }
        var body = "<p class=\"muted\">\(DashboardLayout.int(report.converters, "converters")) of \(DashboardLayout.int(report.persons, "persons")) persons "
            + "reached \(escape(report.macro)) (\(DashboardLayout.rate(report.baseRate, "base_rate"))). \(escape(report.caution))</p>"
        let chartRows = order.compactMap { k -> (label: String, value: Double, low: Double?, high: Double?, emphasis: Bool)? in
            let micro = report.micros[k]
            guard let lift = micro.lift else { return nil }
            return (micro.name, lift, micro.liftCi95?[0], micro.liftCi95?[1], micro.verdict == .vanity || micro.verdict == .negative)
        }
        body += SVGChart.intervals(chartRows, reference: 1, label: "lift of \(report.macro) for each micro with its 95% interval",
                                   format: { String(format: "%.2f×", $0) })
        body += DashboardLayout.table(["Micro", "Did it first", "Rate with", "Rate without", "Lift (95% CI)", "Coverage", "Verdict"], order.map { k in
            let micro = report.micros[k], path = "micros.\(k)"
            let lift = micro.lift.map { _ in
                DashboardLayout.decimal(micro.lift, "\(path).lift") + "×" + (micro.liftCi95.map { _ in
                    " <span class=\"muted\">(\(DashboardLayout.decimal(micro.liftCi95?[0], "\(path).lift_ci95.0"))–\(DashboardLayout.decimal(micro.liftCi95?[1], "\(path).lift_ci95.1")))</span>"
                } ?? "")
            } ?? (micro.persons == 0 ? "–" : "only converters did it")
            return [escape(micro.name), DashboardLayout.int(micro.persons, "\(path).persons"), DashboardLayout.rate(micro.rateWith, "\(path).rate_with"),
                    DashboardLayout.rate(micro.rateWithout, "\(path).rate_without"), lift, DashboardLayout.percent(micro.coverage.rate, "\(path).coverage.rate"),
                    "<span class=\"verdict \(micro.verdict.rawValue)\">\(DashboardLayout.label(micro.verdict.rawValue))</span> "
                        + "<span class=\"muted\">\(escape(micro.why))</span>"]
        }, text: [6])
        if let model = report.model {
            body += "<p class=\"muted\">Model: \(escape(model.method)); cross-validated AUC \(DashboardLayout.decimal(model.cvAuc, "model.cv_auc")) over \(model.folds) folds.</p>"
        }
        let vanity = report.micros.filter { $0.verdict == .vanity }.map(\.name)
        if !vanity.isEmpty {
            body += "<p class=\"note\"><strong>Vanity:</strong> \(escape(vanity.joined(separator: ", "))) — common, but no more likely to lead to "
                + "\(escape(report.macro)). Don't optimise for them.</p>"
        }
        return View(body: DashboardLayout.section("What predicts \(report.macro)", api: api, body), controls: controls)
    }
}
