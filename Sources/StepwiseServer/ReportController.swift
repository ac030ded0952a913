import Hummingbird
import StepwiseCore
import StepwiseEngine
import StepwiseStorage

/// Report endpoints under `/api/v1/sites`, answered by a `ReportBackend`.
struct ReportController: Sendable {
    let backend: any ReportBackend
    let live: LiveEventTable
    let adminToken: String?

    func addRoutes(to router: Router<StepwiseRequestContext>) {
        router.get("/api/v1/sites") { request, _ in
            try self.authorize(request)
            return Response.json(.object(JSONObject(keys: ["sites"], values: [.array(SiteSummary.all(in: self.live.snapshot()).map(\.json))])))
        }
        router.get("/api/v1/sites/{site}/events") { request, context in
            try self.authorize(request)
            let site = try context.parameters.require("site")
            let query = try Self.eventCountsQuery(site: site, request.uri.queryParameters)
            guard self.live.snapshot().siteID(site) != nil else {
                throw APIError(.notFound, code: "unknown_site", "no events have been stored for site \(site)", field: "site")
            }
            return try Response.json(encoding: try await self.backend.eventCounts(query))
        }
    }

    static func eventCountsQuery(site: String, _ parameters: Parameters) throws -> EventCountsQuery {
        for (key, _) in parameters where !["from", "to", "include_bots"].contains(String(key)) {
            throw APIError(.badRequest, code: "unknown_parameter", "unknown query parameter '\(key)'; use from, to, include_bots", field: String(key))
        }
        let range: (from: Int64?, to: Int64?)
        do {
            range = try DateBound.parse(from: parameters.get("from"), to: parameters.get("to"))
        } catch {
            throw APIError(.badRequest, code: "invalid_value", error.description, field: error.field)
        }
        var includeBots = false
        if let flag = parameters.get("include_bots") {
            guard let value = Bool(flag) else {
                throw APIError(.badRequest, code: "invalid_value", "include_bots must be true or false", field: "include_bots")
            }
            includeBots = value
        }
        return EventCountsQuery(site: site, from: range.from, to: range.to, includeBots: includeBots)
    }

    func authorize(_ request: Request) throws {
        guard let adminToken else { return }
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "),
              constantTimeEqual(String(header.dropFirst(7)), adminToken)
        else {
            throw APIError(.unauthorized, code: "unauthorized", "reports need the admin token (Authorization: Bearer TOKEN)")
        }
    }
}

/// A site's totals for the site list and the overview page.
struct SiteSummary {
    var site: String
    var events: Int
    var persons: Int
    var botPersons: Int

    var json: JSONValue {
        .object(JSONObject(keys: ["site", "events", "persons", "bot_persons"],
                           values: [.string(site), .number(Double(events)), .number(Double(persons)), .number(Double(botPersons))]))
    }

    static func all(in table: EventTable) -> [SiteSummary] {
        table.sitePersons.map { site, persons in
            let bots = persons.count { table.personBot[$0] != 0 }
            let events = Int(table.personStart[persons.upperBound] - table.personStart[persons.lowerBound])
            return SiteSummary(site: table.strings[Int(site)], events: events, persons: persons.count - bots, botPersons: bots)
        }.sorted { $0.site < $1.site }
    }
}
