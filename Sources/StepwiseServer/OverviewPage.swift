import Foundation
import Hummingbird
import StepwiseCore
import StepwiseEngine
import StepwisePlan
import StepwiseStorage

/// `GET /`: a server-rendered overview of every site and its events, readable without
/// JavaScript. The full dashboard builds on this page.
struct OverviewPage: Sendable {
    let live: LiveEventTable
    let plans: PlanRegistry
    /// Names the warmest leads by their ids, and holds the imported ad spend.
    let store: EventStore

    func addRoutes(to router: Router<StepwiseRequestContext>) {
        router.get("/") { _, _ in
            let html = self.render(self.live.snapshot())
            return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
        }
    }

    func render(_ table: EventTable) -> String {
        var html = """
            <!doctype html><html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1"><title>Stepwise</title>
            <style>body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#1b1f24}
            table{border-collapse:collapse;width:100%;margin:.5rem 0 2rem}th,td{padding:.35rem .6rem;border-bottom:1px solid #d5d9de;text-align:right}
            th:first-child,td:first-child{text-align:left}h2{margin-top:2rem}.muted{color:#57606a}</style></head><body>
            <h1>Stepwise</h1><p class="muted">Humans only; bots are kept but excluded. JSON: <code>/api/v1/sites/SITE/events</code>, <code>/api/v1/sites/SITE/rates</code>.</p>
            """
        let summaries = SiteSummary.all(in: table)
        if summaries.isEmpty { html += "<p>No events yet. Send some to <code>POST /api/v1/events</code>.</p>" }
        for summary in summaries {
            let plan = plans.entry(site: summary.site)?.plan
            let timeout = plan?.sessionTimeoutMillis ?? SessionSplitter.defaultTimeoutMillis
            let report = EventCounter.count(EventCountsQuery(site: summary.site, sessionTimeoutMillis: timeout), in: table)
            html += "<h2>\(escape(summary.site))</h2><p class=\"muted\">\(summary.persons) persons, \(summary.botPersons) bots excluded</p>"
            if let plan {
                html += renderRates(RatesCalculator.compute(RatesQuery(site: summary.site, plan: plan), in: table))
                for funnel in plan.funnels {
                    guard let query = try? FunnelQuery(site: summary.site, funnel: funnel, plan: plan) else { continue }
                    html += renderFunnel(FunnelCalculator.compute(query, in: table))
                }
                if let macro = plan.macros.first,
                   let report = try? PredictiveValueCalculator.compute(PredictQuery(site: summary.site, plan: plan, macro: macro.name), in: table) {
                    html += renderPredictors(report)
                }
                html += renderHealth(site: summary.site, plan: plan, table: table)
                if let macro = plan.macros.first {
                    var query = AttributionQuery(site: summary.site, plan: plan, macro: macro.name)
                    query.models = [.lastNonDirect, .linear]
                    query.spend = (try? store.spend(site: summary.site)) ?? []
                    if let report = try? AttributionCalculator.compute(query, in: table), !report.quality.isEmpty {
                        html += renderChannels(report)
                    }
                }
                for experiment in plan.experiments {
                    guard let report = try? ExperimentCalculator.compute(ExperimentQuery(site: summary.site, plan: plan, experiment: experiment.name), in: table)
                    else { continue }
                    html += renderExperiment(report)
                }
                if let score = try? EngagementScoreCalculator.compute(ScoreQuery(site: summary.site, plan: plan, top: 10), in: table),
                   !score.top.isEmpty {
                    html += renderLeads(score)
                }
                if let audiences = try? AudienceCalculator.members(AudienceQuery(site: summary.site, plan: plan), in: table), !audiences.isEmpty {
                    html += "<h3>Audiences</h3><table><thead><tr><th scope=\"col\">Audience</th><th scope=\"col\">Rule</th><th scope=\"col\">Members</th></tr></thead><tbody>"
                    for audience in audiences {
                        html += "<tr><td>\(escape(audience.audience))</td><td>\(escape(audience.rule))</td><td>\(audience.size)</td></tr>"
                    }
                    html += "</tbody></table>"
                }
            }
            html += "<table><thead><tr><th scope=\"col\">Event</th><th scope=\"col\">Events</th><th scope=\"col\">Persons</th><th scope=\"col\">Sessions</th></tr></thead><tbody>"
            for row in report.events {
                html += "<tr><td>\(escape(row.event))</td><td>\(row.events)</td><td>\(row.persons)</td><td>\(row.sessions)</td></tr>"
            }
            html += "</tbody></table>"
        }
        return html + "</body></html>"
    }

    /// A funnel as horizontal bars, one per step, with the biggest leak called out.
    func renderFunnel(_ report: FunnelReport) -> String {
        let first = max(report.steps.first?.count ?? 0, 1)
        var html = "<h3>Funnel \(escape(report.funnel ?? ""))</h3><svg width=\"640\" height=\"\(report.steps.count * 26 + 4)\" role=\"img\" "
            + "aria-label=\"funnel \(escape(report.funnel ?? ""))\">"
        for (k, step) in report.steps.enumerated() {
            let width = Int((Double(step.count) / Double(first) * 360).rounded())
            let y = k * 26 + 2
            let rate = step.rateFromPrevious.map { String(format: "%.1f%%", $0 * 100) } ?? "–"
            html += "<rect x=\"160\" y=\"\(y)\" width=\"\(width)\" height=\"20\" fill=\"#4c7cbf\"/>"
                + "<text x=\"0\" y=\"\(y + 15)\" font-size=\"13\">\(escape(step.name))</text>"
                + "<text x=\"\(166 + width)\" y=\"\(y + 15)\" font-size=\"13\">\(step.count) (\(rate))</text>"
        }
        html += "</svg>"
        if let leak = report.biggestLeak {
            html += "<p>Biggest leak: <strong>\(escape(leak.from)) → \(escape(leak.to))</strong>, \(leak.lost) persons lost "
                + "(\(String(format: "%.1f%%", leak.rate * 100)) continue).</p>"
        }
        return html
    }

    /// Each micro's lift on the macro with its interval and verdict, strongest first.
    func renderPredictors(_ report: PredictiveValueReport) -> String {
        var html = "<h3>What predicts \(escape(report.macro))</h3><p class=\"muted\">\(report.converters) of \(report.persons) persons converted "
            + "in the last 30 days. \(escape(report.caution))</p><table><thead><tr><th scope=\"col\">Micro</th><th scope=\"col\">Did it first</th>"
            + "<th scope=\"col\">Lift (95% CI)</th><th scope=\"col\">Coverage</th><th scope=\"col\">Verdict</th></tr></thead><tbody>"
        // Strongest first; a micro that only converters did ranks top, one nobody did last.
        func rank(_ micro: PredictiveValue) -> Double { micro.persons == 0 ? -1 : micro.lift ?? .infinity }
        for micro in report.micros.sorted(by: { rank($0) > rank($1) }) {
            let lift = micro.lift.map { value in
                String(format: "%.2f×", value) + (micro.liftCi95.map { String(format: " (%.2f–%.2f)", $0[0], $0[1]) } ?? "")
            } ?? "only they converted"
            let coverage = micro.coverage.rate.map { String(format: "%.0f%%", $0 * 100) } ?? "–"
            html += "<tr><td>\(escape(micro.name))</td><td>\(micro.persons)</td><td>\(micro.persons == 0 ? "–" : lift)</td><td>\(coverage)</td>"
                + "<td title=\"\(escape(micro.why))\">\(micro.verdict.rawValue.replacingOccurrences(of: "_", with: " "))</td></tr>"
        }
        return html + "</tbody></table>"
    }

    /// Each channel's credit for the macro beside the progress of the persons it brought,
    /// so a channel that sells little but warms many leads shows as such.
    func renderChannels(_ report: AttributionReport) -> String {
        let money = report.currency.map { " (\(escape($0)))" } ?? ""
        let micro = report.quality.first?.micros.first?.name
        var html = "<h3>Channels</h3><p class=\"muted\">\(report.conversions) \(escape(report.macro)) conversions; credit by last non-direct "
            + "and linear touch within \(report.lookback). Quality: persons by the channel of their first session.</p>"
            + "<table><thead><tr><th scope=\"col\">Channel</th><th scope=\"col\">Last non-direct</th><th scope=\"col\">Linear</th>"
            + "<th scope=\"col\">Assisted</th><th scope=\"col\">Persons</th>"
            + (micro.map { "<th scope=\"col\">\(escape($0)) rate</th>" } ?? "")
            + "<th scope=\"col\">\(escape(report.macro)) rate</th><th scope=\"col\">Cost\(money)</th><th scope=\"col\">Cost per \(escape(report.macro))</th></tr></thead><tbody>"
        func percent(_ rate: Rate?) -> String { rate?.rate.map { String(format: "%.1f%%", $0 * 100) } ?? "–" }
        func amount(_ value: Double?) -> String { value.map { String(format: "%.2f", $0) } ?? "–" }
        let credit = Dictionary(report.channels.map { ($0.channel, $0) }, uniquingKeysWith: { a, _ in a })
        for quality in report.quality {
            let row = credit[quality.channel]
            html += "<tr><td>\(escape(quality.channel))</td><td>\(amount(row?.credit.lastNonDirect ?? 0))</td><td>\(amount(row?.credit.linear ?? 0))</td>"
                + "<td>\(row?.assisted ?? 0)</td><td>\(quality.persons)</td>"
                + (micro == nil ? "" : "<td>\(percent(quality.micros.first?.rate))</td>")
                + "<td>\(percent(quality.macroRate))</td><td>\(amount(row?.cost))</td><td>\(amount(row?.costPerConversion?.lastNonDirect))</td></tr>"
        }
        return html + "</tbody></table>"
    }

    /// Tracking health: open anomalies, and the macro's daily count against its expected
    /// band with the annotations marked, so a deploy that broke tracking shows beside the dip.
    func renderHealth(site: String, plan: TrackingPlan, table: EventTable) -> String {
        var query = HealthQuery(site: site, plan: plan, now: Int64(Date().timeIntervalSince1970 * 1000))
        query.days = 28
        guard (try? store.attachHealthFacts(&query)) != nil else { return "" }
        live.watch(site: site, definitions: HealthQuery.watchedDefinitions(of: plan))
        let report = HealthCalculator.compute(query, volumes: live.volumes(), table: live.snapshot())
        var html = "<h3>Tracking health</h3><p class=\"muted\">\(report.status.rawValue.replacingOccurrences(of: "_", with: " ")): "
            + "\(report.open.count) open, \(report.recent.count) closed in the last \(query.days) days.</p>"
        if !report.open.isEmpty {
            html += "<table><thead><tr><th scope=\"col\">Anomaly</th><th scope=\"col\">Severity</th><th scope=\"col\">Since</th></tr></thead><tbody>"
            for anomaly in report.open {
                html += "<tr><td>\(escape(anomaly.why))</td><td>\(anomaly.severity.rawValue)</td><td>\(anomaly.started)</td></tr>"
            }
            html += "</tbody></table>"
        }
        guard let macro = plan.macros.first?.name, let trace = report.series.first(where: { $0.series == macro }) else { return html }
        let points = trace.points
        let top = max(points.compactMap { [$0.value, $0.high].compactMap { $0 }.max() }.max() ?? 1, 1)
        let width = 640.0, height = 120.0, step = width / Double(max(points.count - 1, 1))
        func x(_ k: Int) -> Double { Double(k) * step }
        func y(_ v: Double) -> Double { height - v / top * (height - 10) }
        html += "<svg width=\"660\" height=\"150\" role=\"img\" aria-label=\"daily \(escape(macro)) with expected band and annotations\">"
        // The expected band, then the counts; anomalous days in red.
        let band = points.enumerated().compactMap { k, p in p.high.map { "\(x(k)),\(y($0))" } }
            + points.enumerated().reversed().compactMap { k, p in p.low.map { "\(x(k)),\(y($0))" } }
        if !band.isEmpty { html += "<polygon points=\"\(band.joined(separator: " "))\" fill=\"#dde6f2\"/>" }
        let line = points.enumerated().compactMap { k, p in p.value.map { "\(x(k)),\(y($0))" } }
        html += "<polyline points=\"\(line.joined(separator: " "))\" fill=\"none\" stroke=\"#4c7cbf\" stroke-width=\"2\"/>"
        for (k, p) in points.enumerated() where p.anomalous {
            if let v = p.value { html += "<circle cx=\"\(x(k))\" cy=\"\(y(v))\" r=\"4\" fill=\"#c0392b\"><title>\(p.day)</title></circle>" }
        }
        for note in query.annotations {
            let day = LocalCalendar.format(day: plan.calendar.day(of: note.at))
            guard let k = points.firstIndex(where: { $0.day == day }) else { continue }
            html += "<line x1=\"\(x(k))\" x2=\"\(x(k))\" y1=\"0\" y2=\"\(height)\" stroke=\"#8e44ad\" stroke-dasharray=\"3 3\">"
                + "<title>\(escape(note.kind)): \(escape(note.text))</title></line>"
        }
        html += "<text x=\"0\" y=\"145\" font-size=\"12\">\(points.first?.day ?? "")</text>"
            + "<text x=\"560\" y=\"145\" font-size=\"12\">\(points.last?.day ?? "")</text></svg>"
        for note in report.annotations { html += "<p class=\"muted\">\(escape(String(note.at.prefix(16)))) \(escape(note.kind)): \(escape(note.text))</p>" }
        return html
    }

    /// An experiment's primary metric and guardrails per variant, its warnings and verdict.
    func renderExperiment(_ report: ExperimentReport) -> String {
        var html = "<h3>Experiment \(escape(report.experiment))</h3><table><thead><tr><th scope=\"col\">Metric</th><th scope=\"col\">Variant</th>"
        html += "<th scope=\"col\">Persons</th><th scope=\"col\">Rate or mean</th><th scope=\"col\">Relative lift (95% CI)</th>"
        html += "<th scope=\"col\">P(beat control)</th></tr></thead><tbody>"
        for metric in report.metrics {
            for v in metric.variants {
                let value = v.rate?.rate.map { String(format: "%.2f%%", $0 * 100) } ?? v.mean.map { String(format: "%.2f", $0) } ?? "–"
                let lift = v.comparison.map { c in
                    ExperimentCalculator.percent(c.relativeLift)
                        + (c.relativeCi95.map { " (\(ExperimentCalculator.percent($0[0])) to \(ExperimentCalculator.percent($0[1])))" } ?? "")
                } ?? "control"
                let chance = v.comparison.map { String(format: "%.0f%%", $0.chanceToBeatControl * 100) } ?? ""
                html += "<tr><td>\(escape(metric.name))</td><td>\(escape(v.variant))</td><td>\(v.persons)</td><td>\(value)</td>"
                html += "<td>\(lift)</td><td>\(chance)</td></tr>"
            }
        }
        html += "</tbody></table>"
        for warning in report.warnings { html += "<p><strong>Warning:</strong> \(escape(warning))</p>" }
        return html + "<p>Verdict: <strong>\(report.verdict.rawValue.replacingOccurrences(of: "_", with: " "))</strong>. \(escape(report.why))</p>"
    }

    /// The ten warmest persons by engagement score, with what they did.
    func renderLeads(_ report: EngagementScoreReport) -> String {
        let ids = (try? store.identities(of: report.top.map(\.key))) ?? [:]
        let halfLife = JSONWriter.formatNumber(report.halfLifeDays)
        let bands = report.bands.map { "\($0.name) \($0.persons)" }.joined(separator: ", ")
        var html = "<h3>Warmest leads</h3><p class=\"muted\">Score: plan values of micro completions, halved every \(halfLife) days. \(bands).</p>"
        html += "<table><thead><tr><th scope=\"col\">Person</th><th scope=\"col\">Score</th><th scope=\"col\">Last activity</th>"
        html += "<th scope=\"col\">Micros</th></tr></thead><tbody>"
        for person in report.top {
            let micros = person.micros.map { $0.completions > 1 ? "\($0.name) ×\($0.completions)" : $0.name }.joined(separator: ", ")
            let name = ids[person.key]?.person ?? person.person
            let score = String(format: "%.1f", person.score)
            let last = String(person.lastActivity.prefix(16)).replacingOccurrences(of: "T", with: " ")
            html += "<tr><td>\(escape(name))</td><td>\(score)</td><td>\(escape(last))</td><td>\(escape(micros))</td></tr>"
        }
        return html + "</tbody></table>"
    }

    /// The plan's definitions with their per-person rate, drawn as a bar with its 95 % interval.
    func renderRates(_ report: RatesReport) -> String {
        var html = "<table><thead><tr><th scope=\"col\">Conversion</th><th scope=\"col\">Kind</th><th scope=\"col\">Completions</th>"
            + "<th scope=\"col\">Persons</th><th scope=\"col\">Rate per person (95% CI)</th><th scope=\"col\"></th></tr></thead><tbody>"
        let widest = max(report.definitions.compactMap { $0.perPerson.ci95?[1] }.max() ?? 1, 0.01)
        for definition in report.definitions {
            let rate = definition.perPerson
            var cell = "–", bar = ""
            if let value = rate.rate, let ci = rate.ci95 {
                func percent(_ x: Double) -> String { String(format: "%.1f", x * 100) }
                cell = "\(percent(value))% (\(percent(ci[0]))–\(percent(ci[1])))"
                func x(_ v: Double) -> Int { Int((v / widest * 160).rounded()) }
                bar = "<svg width=\"170\" height=\"14\" role=\"img\" aria-label=\"\(cell)\"><rect x=\"0\" y=\"3\" width=\"\(x(value))\" height=\"8\" fill=\"#4c7cbf\"/>"
                    + "<line x1=\"\(x(ci[0]))\" x2=\"\(x(ci[1]))\" y1=\"7\" y2=\"7\" stroke=\"#1b1f24\" stroke-width=\"1.5\"/></svg>"
            }
            html += "<tr><td>\(escape(definition.name))</td><td>\(definition.kind)</td><td>\(definition.completions)</td>"
                + "<td>\(definition.persons)</td><td>\(cell)</td><td>\(bar)</td></tr>"
        }
        return html + "</tbody></table>"
    }
}
/// Escapes text for HTML: event names and sites are attacker-controlled.
func escape(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for character in text {
        switch character {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default: out.append(character)
        }
    }
    return out
}
