import Hummingbird
import StepwiseEngine
import StepwisePlan

/// Each experiment: the primary micro metric and the guardrails per variant with relative-lift
/// whiskers, the sample-ratio check, and the verdict with its reason.
extension Dashboard {
    func experiments(_ state: DashboardState, plan: TrackingPlan) async throws -> View {
        let filter = try filter(state, plan: plan)
        guard !plan.experiments.isEmpty else { return View(body: "<p class=\"note\">The plan defines no experiments.</p>") }
        var html = ""
        for experiment in plan.experiments {
            let query = ExperimentQuery(site: state.site, plan: plan, experiment: experiment.name, from: filter.from, to: filter.to,
                                        segments: filter.segments, includeBots: filter.includeBots)
            let report = try await ReportController.checked { try await backend.experiment(query) }
            let api = state.api("experiments/\(DashboardState.pathEscape(experiment.name))", keys: DashboardState.filterKeys)
            var body = "<p>Verdict: <span class=\"verdict \(report.verdict.rawValue)\"><strong>\(DashboardLayout.label(report.verdict.rawValue))</strong></span> "
                + "\(escape(report.why))</p>"
            for warning in report.warnings { body += "<p class=\"alert\" role=\"alert\">\(escape(warning))</p>" }
            body += "<p class=\"muted\">" + report.variants.enumerated().map { k, v in
                "\(escape(v.name)): \(DashboardLayout.int(v.persons, "variants.\(k).persons")) persons (weight \(v.weight))"
            }.joined(separator: "; ") + "; sample ratio p = " + String(format: "%.3f", report.sampleRatio.pValue)
                + (report.sampleRatio.mismatch ? " <strong class=\"leak\">mismatch</strong>" : "") + ".</p>"
            let rows = report.metrics.flatMap { metric in
                metric.variants.compactMap { v -> (label: String, value: Double, low: Double?, high: Double?, emphasis: Bool)? in
                    guard let c = v.comparison, let lift = c.relativeLift else { return nil }
                    return ("\(metric.name) · \(v.variant)", lift, c.relativeCi95?[0], c.relativeCi95?[1], metric.role == .guardrail && (c.relativeCi95?[1] ?? 0) < 0)
                }
            }
            body += SVGChart.intervals(rows, reference: 0, label: "relative lift of each metric against control with its 95% interval",
                                       format: { ExperimentCalculator.percent($0) })
            var table: [[String]] = []
            for (m, metric) in report.metrics.enumerated() {
                for (k, v) in metric.variants.enumerated() {
                    let path = "metrics.\(m).variants.\(k)"
                    let value = v.rate.map { DashboardLayout.rate($0, "\(path).rate") } ?? DashboardLayout.decimal(v.mean, "\(path).mean")
                    let lift = v.comparison.map { c in
                        ExperimentCalculator.percent(c.relativeLift) + (c.relativeCi95.map { " (\(ExperimentCalculator.percent($0[0])) to \(ExperimentCalculator.percent($0[1])))" } ?? "")
                    } ?? "control"
                    table.append(["\(escape(metric.name)) <span class=\"muted\">\(metric.role.rawValue)</span>", escape(v.variant),
                                  DashboardLayout.int(v.persons, "\(path).persons"), value, lift,
                                  v.comparison.map { DashboardLayout.percent($0.chanceToBeatControl, "\(path).comparison.chance_to_beat_control") } ?? ""])
                }
            }
            body += DashboardLayout.table(["Metric", "Variant", "Persons", "Rate or mean", "Relative lift (95% CI)", "P(beat control)"], table)
            html += DashboardLayout.section("Experiment \(experiment.name)", api: api, body)
        }
        return View(body: html)
    }
}
