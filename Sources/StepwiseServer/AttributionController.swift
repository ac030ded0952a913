import Hummingbird
import StepwiseCore
import StepwiseEngine
import StepwisePlan
import StepwiseStorage

/// Channels and ad platforms (SPEC §4.6, §4.8): `/attribution`, `/paths`, `/bidding`,
/// `/exports/ads` and the site's imported ad spend at `/spend`.
struct AttributionController: Sendable {
    let backend: any ReportBackend
    let reports: ReportController
    let store: EventStore

    /// A spend CSV is a few rows per day and campaign: 4 MiB is years of it.
    static let maxSpendBytes = 4 << 20
    /// How many conversions an export holds and left out, for scripts that upload it.
    static let exportedHeader = HTTPFields.Element.Name("X-Stepwise-Exported")!
    static let skippedHeader = HTTPFields.Element.Name("X-Stepwise-Skipped")!

    func addRoutes(to router: Router<StepwiseRequestContext>) {
        router.get("/api/v1/sites/{site}/attribution") { request, context in
            let (site, plan, filter, parameters) = try self.reports.prepare(request, context, extra: ["macro", "model", "lookback"])
            var query = try ReportController.checked {
                try AttributionQuery.fromOptions(
                    site: site, plan: plan, from: filter.from, to: filter.to, segments: filter.segments, includeBots: filter.includeBots,
                    macro: parameters.get("macro"), model: parameters.get("model"), lookback: parameters.get("lookback"))
            }
            query.spend = try self.store.spend(site: site)
            return try Response.json(encoding: try await ReportController.checked { try await self.backend.attribution(query) })
        }
        router.get("/api/v1/sites/{site}/paths") { request, context in
            let (site, plan, filter, parameters) = try self.reports.prepare(request, context, extra: ["macro", "top", "max_length", "lookback"])
            let query = try ReportController.checked {
                try PathsQuery.fromOptions(
                    site: site, plan: plan, from: filter.from, to: filter.to, segments: filter.segments, includeBots: filter.includeBots,
                    macro: parameters.get("macro"), top: parameters.get("top"), maxLength: parameters.get("max_length"),
                    lookback: parameters.get("lookback"))
            }
            return try Response.json(encoding: try await ReportController.checked { try await self.backend.paths(query) })
        }
        router.get("/api/v1/sites/{site}/bidding") { request, context in
            let (site, plan, filter, parameters) = try self.reports.prepare(request, context, extra: [], range: false)
            if parameters.get("segment") != nil {
                throw APIError(.badRequest, code: "unknown_parameter", "bidding counts every conversion; it takes no segment", field: "segment")
            }
            let to = try ReportFilter(ReportFilter.pairs(parameters), allowed: ["to", "include_bots"], calendar: plan.calendar).to
            let report = try await ReportController.checked {
                try await self.backend.bidding(site: site, plan: plan, to: to, includeBots: filter.includeBots)
            }
            return try Response.json(encoding: report)
        }
        router.get("/api/v1/sites/{site}/exports/ads") { request, context in
            let (site, plan, filter, parameters) = try self.reports.prepare(request, context, extra: ["platform", "conversion", "name"])
            if !filter.segments.isEmpty {
                throw APIError(.badRequest, code: "unknown_parameter", "an ad export takes every conversion; it takes no segment", field: "segment")
            }
            let query = try ReportController.checked {
                try AdsExportQuery.fromOptions(
                    site: site, plan: plan, from: filter.from, to: filter.to, includeBots: filter.includeBots,
                    platform: parameters.get("platform"), conversion: parameters.get("conversion"), platformName: parameters.get("name"))
            }
            let export = try await ReportController.checked { try await self.backend.adsExport(query) }
            let file = "\(site)-\(query.conversion)-\(query.platform.rawValue).\(query.platform == .google ? "csv" : "json")"
            var headers: HTTPFields = [.contentType: export.contentType, .contentDisposition: "attachment; filename=\"\(file)\""]
            headers[Self.exportedHeader] = "\(export.exported)"
            headers[Self.skippedHeader] = "\(export.skipped)"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: export.body)))
        }
        router.get("/api/v1/sites/{site}/spend") { request, context in
            try self.reports.admin.authorize(request)
            let site = try context.parameters.require("site")
            return try Response.json(encoding: ["spend": try self.store.spend(site: site)])
        }
        router.put("/api/v1/sites/{site}/spend") { request, context in
            try self.reports.admin.authorize(request)
            let site = try context.parameters.require("site")
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: Self.maxSpendBytes)
            } catch {
                throw APIError(.contentTooLarge, code: "body_too_large", "a spend file is at most \(Self.maxSpendBytes) bytes")
            }
            guard let text = body.getString(at: body.readerIndex, length: body.readableBytes) else {
                throw APIError(.badRequest, code: "invalid_spend", "the spend file must be UTF-8 CSV text")
            }
            let rows: [AdSpend]
            do {
                rows = try AdSpend.parseCSV(text)
            } catch let error as AdSpend.Invalid {
                throw APIError(.badRequest, code: "invalid_spend", error.description, field: error.field)
            }
            do {
                let (added, replaced) = try self.store.importSpend(site: site, rows)
                return Response.json(.object(JSONObject(keys: ["site", "added", "replaced"],
                                                        values: [.string(site), .number(Double(added)), .number(Double(replaced))])))
            } catch let error as StoreError where error.message.hasPrefix("currency:") {
                throw APIError(.badRequest, code: "invalid_spend", error.message, field: "currency")
            }
        }
    }
}
