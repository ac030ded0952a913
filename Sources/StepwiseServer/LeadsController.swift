import Hummingbird
import StepwiseCore
import StepwiseEngine
import StepwisePlan
import StepwiseStorage

/// The person-level reports (SPEC §4.3–4.5, 4.7): `/predict`, `/score`, `/experiments/{name}`,
/// `/audiences`, `/audiences/{name}/members` (JSON or `format=csv`) and `/audiences/{name}/deliveries`.
struct LeadsController: Sendable {
    let backend: any ReportBackend
    let reports: ReportController
    let store: EventStore

    func addRoutes(to router: Router<StepwiseRequestContext>) {
        router.get("/api/v1/sites/{site}/predict") { request, context in
            let (site, plan, filter, parameters) = try self.reports.prepare(request, context, extra: ["macro", "micros", "lookback"])
            let query = try ReportController.checked {
                try PredictQuery.fromOptions(
                    site: site, plan: plan, from: filter.from, to: filter.to, segments: filter.segments, includeBots: filter.includeBots,
                    macro: parameters.get("macro"), micros: parameters.get("micros"), lookback: parameters.get("lookback"))
            }
            return try Response.json(encoding: try await ReportController.checked { try await self.backend.predict(query) })
        }
        router.get("/api/v1/sites/{site}/score") { request, context in
            let (site, plan, filter, parameters) = try self.reports.prepare(request, context, extra: ["top", "half_life", "learned", "macro", "cutoff"])
            let query = try ReportController.checked {
                try ScoreQuery.fromOptions(
                    site: site, plan: plan, from: filter.from, to: filter.to, segments: filter.segments, includeBots: filter.includeBots,
                    top: parameters.get("top"), halfLife: parameters.get("half_life"),
                    learned: try parameters.get("learned").map { try PersonReportOptions.flag($0, field: "learned") } ?? false,
                    macro: parameters.get("macro"), cutoff: parameters.get("cutoff"))
            }
            return try Response.json(encoding: try await ReportController.checked { try await self.backend.score(query) })
        }
        router.get("/api/v1/sites/{site}/experiments/{name}") { request, context in
            let (site, plan, filter, _) = try self.reports.prepare(request, context, extra: [])
            let name = try context.parameters.require("name")
            let query = ExperimentQuery(site: site, plan: plan, experiment: name, from: filter.from, to: filter.to, segments: filter.segments,
                                        includeBots: filter.includeBots)
            return try Response.json(encoding: try await ReportController.checked { try await self.backend.experiment(query) })
        }
        router.get("/api/v1/sites/{site}/hypotheses") { request, context in
            let (site, plan, filter, parameters) = try self.reports.prepare(request, context, extra: ["funnel"])
            let board = try await ReportController.checked {
                try await HypothesisBoard.compute(site: site, plan: plan, funnel: parameters.get("funnel"), from: filter.from, to: filter.to,
                                                  includeBots: filter.includeBots, backend: self.backend)
            }
            return try Response.json(encoding: board)
        }
        router.get("/api/v1/sites/{site}/audiences") { request, context in
            let (site, plan, filter, _) = try self.reports.prepare(request, context, extra: [], range: false)
            let query = AudienceQuery(site: site, plan: plan, segments: filter.segments, includeBots: filter.includeBots)
            let audiences = try await ReportController.checked { try await self.backend.audiences(query, names: nil, limit: 0) }
            let list = AudienceListReport(site: site, plan: plan, results: audiences)
            return try Response.json(encoding: list)
        }
        router.get("/api/v1/sites/{site}/audiences/{name}/members") { request, context in
            let (site, plan, filter, parameters) = try self.reports.prepare(request, context, extra: ["limit", "format"], range: false)
            let name = try context.parameters.require("name")
            let limit = try ReportController.checked { try parameters.get("limit").map { try PersonReportOptions.count($0, field: "limit", in: 0...1_000_000) } }
            let format = parameters.get("format") ?? "json"
            guard format == "json" || format == "csv" else {
                throw APIError(.badRequest, code: "invalid_value", "format must be json or csv", field: "format")
            }
            let query = AudienceQuery(site: site, plan: plan, segments: filter.segments, includeBots: filter.includeBots)
            let report = try await ReportController.checked { try await self.backend.audiences(query, names: [name], limit: limit) }[0]
            guard format == "csv" else { return try Response.json(encoding: report) }
            let (header, rows) = report.exportRows
            return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8",
                                                   .contentDisposition: "attachment; filename=\"\(site)-\(name).csv\""],
                            body: .init(byteBuffer: ByteBuffer(string: TabularText.csv(header: header, rows: rows))))
        }
        router.get("/api/v1/sites/{site}/audiences/{name}/deliveries") { request, context in
            try self.reports.admin.authorize(request)
            let site = try context.parameters.require("site")
            let name = try context.parameters.require("name")
            let plan = try self.reports.plan(site)
            guard plan.audiences.contains(where: { $0.name == name }) else {
                throw APIError(.notFound, code: "unknown_audience", "the plan of \(site) has no audience \(name)", field: "name")
            }
            return try Response.json(encoding: ["deliveries": try self.store.deliveries(site: site, audience: name)])
        }
    }
}
