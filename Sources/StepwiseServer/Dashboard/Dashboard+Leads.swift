import Hummingbird
import StepwiseEngine
import StepwisePlan

/// The warmest leads, the score distribution, and the plan's audiences with export buttons.
extension Dashboard {
    func leads(_ state: DashboardState, plan: TrackingPlan) async throws -> View {
        let filter = try filter(state, plan: plan)
        let controls = DashboardLayout.select("learned", label: "Points", options: [("", "plan values"), ("true", "learned from the macro")],
                                              selected: state.value("learned"))
        let query = try ReportController.checked {
            try ScoreQuery.fromOptions(site: state.site, plan: plan, from: nil, to: nil, segments: filter.segments, includeBots: filter.includeBots,
                                       top: nil, halfLife: state.value("half_life"),
                                       learned: try state.value("learned").map { try PersonReportOptions.flag($0, field: "learned") } ?? false,
                                       macro: nil, cutoff: nil)
        }
        let score = try await ReportController.checked { try await backend.score(query) }
        let api = state.api("score", keys: ["segment", "include_bots", "learned", "half_life"])
        let bands = score.bands.enumerated().map { k, band in "\(escape(band.name)): \(DashboardLayout.int(band.persons, "bands.\(k).persons"))" }
        var ranking = ""
        if let r = score.ranking {
            let auc = r.auc == nil ? "– (it needs persons who did and did not convert after it)" : DashboardLayout.decimal(r.auc, "ranking.auc")
            ranking = ". Scores at \(escape(String(r.cutoff.prefix(10)))) ranked who then reached \(escape(r.macro)) with AUC \(auc)"
        }
        var body = "<p class=\"muted\">\(DashboardLayout.int(score.scoredPersons, "scored_persons")) of \(DashboardLayout.int(score.persons, "persons")) "
            + "persons have a score; points halve every \(DashboardLayout.decimal(score.halfLifeDays, "half_life_days")) days. "
        body += bands.joined(separator: ", ") + ranking + ".</p>"
        body += SVGChart.histogram(score.histogram.map { (String(format: "%.1f–%.1f", $0.minScore, $0.belowScore), $0.persons) },
                                   label: "number of persons by engagement score")
        body += DashboardLayout.table(["Person", "Score", "Last activity", "Micros"], score.top.enumerated().map { k, person in
            let micros = person.micros.map { $0.completions > 1 ? "\($0.name) ×\($0.completions)" : $0.name }.joined(separator: ", ")
            return [escape(person.person), DashboardLayout.decimal(person.score, "top.\(k).score"),
                    escape(String(person.lastActivity.prefix(16)).replacingOccurrences(of: "T", with: " ")), escape(micros)]
        }, text: [3])
        var html = DashboardLayout.section("Warmest leads", api: api, body)
        let audiences = try await ReportController.checked {
            try await backend.audiences(AudienceQuery(site: state.site, plan: plan, segments: filter.segments, includeBots: filter.includeBots),
                                        names: nil, limit: 0)
        }
        if !audiences.isEmpty {
            let access = state.share == nil
            let listAPI = state.api("audiences", keys: ["segment", "include_bots"])
            html += DashboardLayout.section("Audiences", api: listAPI, DashboardLayout.table(
                ["Audience", "Rule", "Members"] + (access ? ["Export"] : []), audiences.enumerated().map { k, audience in
                    let csv = state.api("audiences/\(DashboardState.pathEscape(audience.audience))/members", keys: ["segment", "include_bots"])
                    let separator = csv.contains("?") ? "&" : "?"
                    return [escape(audience.audience), escape(audience.rule), DashboardLayout.int(audience.size, "audiences.\(k).size")]
                        + (access ? ["<a class=\"button\" href=\"\(escape(csv + separator + "format=csv"))\" download>CSV</a>"] : [])
                }, text: [1]))
        }
        return View(body: html, controls: controls)
    }
}
