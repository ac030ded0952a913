import Foundation
import Hummingbird
import StepwiseCore
import StepwiseEngine
import StepwisePlan

/// Tracking health: open and recent anomalies, a series against its expected band with
/// annotations marked, and data quality.
extension Dashboard {
    func health(_ state: DashboardState, plan: TrackingPlan) async throws -> View {
        var query = try ReportController.checked {
            try HealthQuery.fromOptions(site: state.site, plan: plan, now: Int64(Date().timeIntervalSince1970 * 1000), days: state.value("days"), weeks: nil)
        }
        try await facts.attach(&query)
        let report = try await backend.health(query)
        let api = state.api("health", keys: ["days"])
        let names = report.series.map(\.series)
        let chosen = state.value("series").flatMap { names.contains($0) ? $0 : nil } ?? plan.macros.first?.name ?? names.first
        let controls = DashboardLayout.select("series", label: "Series", options: names.map { ($0, $0) }, selected: chosen)
            + DashboardLayout.select("days", label: "Days", options: ["14", "28", "56", "90"].map { ($0, $0) }, selected: state.value("days") ?? String(query.days))
        var body = "<p>Status: <strong>\(DashboardLayout.label(report.status.rawValue))</strong>; \(DashboardLayout.int(report.seriesJudged, "series_judged")) series judged "
            + "against the same weekday of \(report.historyWeeks) weeks, \(DashboardLayout.int(report.seriesWarmingUp, "series_warming_up")) still warming up.</p>"
        func anomalies(_ list: [Anomaly], _ key: String) -> String {
            DashboardLayout.table(["Anomaly", "Severity", "Since", "Days", "Observed", "Expected (band)"], list.enumerated().map { k, a in
                [escape(a.why), a.severity.rawValue, escape(a.started), DashboardLayout.int(a.days, "\(key).\(k).days"),
                 DashboardLayout.decimal(a.evidence.observed, "\(key).\(k).evidence.observed"),
                 "\(DashboardLayout.decimal(a.evidence.expected, "\(key).\(k).evidence.expected")) <span class=\"muted\">(\(String(format: "%.1f–%.1f", a.evidence.low, a.evidence.high)))</span>"]
            })
        }
        body += "<h3>Open anomalies</h3>" + (report.open.isEmpty ? "<p class=\"good\">None open.</p>" : anomalies(report.open, "open"))
        if !report.recent.isEmpty { body += "<h3>Closed in the last \(query.days) days</h3>" + anomalies(report.recent, "recent") }
        if let trace = report.series.first(where: { $0.series == chosen }) {
            let points = trace.points.map { SVGChart.Point(label: $0.day, value: $0.value, low: $0.low, high: $0.high) }
            let marks = query.annotations.compactMap { note -> (index: Int, text: String)? in
                let day = LocalCalendar.format(day: plan.calendar.day(of: note.at))
                return trace.points.firstIndex { $0.day == day }.map { ($0, "\(note.kind): \(note.text)") }
            }
            let flagged = Set(trace.points.indices.filter { trace.points[$0].anomalous })
            body += "<h3>\(escape(trace.series)) by day, against its expected band</h3>"
                + SVGChart.trend(points, label: "daily \(trace.series) with expected band, anomalies and annotations", percent: trace.seriesKind == .ratio,
                                 marks: marks, flagged: flagged)
        }
        if !report.annotations.isEmpty {
            body += "<h3>Annotations</h3><ul>" + report.annotations.map { "<li>\(escape(String($0.at.prefix(16)))) \(escape($0.kind)): \(escape($0.text))</li>" }.joined() + "</ul>"
        }
        let quality = report.quality
        body += "<h3>Data quality</h3>" + DashboardLayout.table(["Check", "Value"], [
            ["Accepted events", DashboardLayout.int(quality.accepted, "quality.accepted")],
            ["Duplicates", DashboardLayout.int(quality.duplicates, "quality.duplicates") + " (\(DashboardLayout.percent(quality.duplicateRate)))"],
            ["Rejected", quality.rejected.enumerated().map { k, r in "\(escape(r.code)) \(DashboardLayout.int(r.count, "quality.rejected.\(k).count"))" }.joined(separator: ", ")],
            ["Bot share", DashboardLayout.percent(quality.botShare) + (quality.botShareExpected.map { " (usual \(String(format: "%.1f%%", $0 * 100)))" } ?? "")],
            ["Events no definition uses", quality.unplannedEvents.map { "\(escape($0.event)) (\($0.events))" }.joined(separator: ", ")],
            ["Props whose type changed", quality.propTypeDrift.map { "\(escape($0.event)).\(escape($0.key)): \(escape($0.usualType)) → \(escape($0.newType))" }.joined(separator: ", ")],
        ], text: [1])
        return View(body: DashboardLayout.section("Tracking health", api: api, body), controls: controls)
    }
}
