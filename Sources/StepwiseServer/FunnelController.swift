import Hummingbird
import StepwiseCore
import StepwiseEngine
import StepwisePlan

/// `GET /api/v1/sites/{site}/funnels/{name}` (a plan funnel) and `POST /api/v1/sites/{site}/funnel`
/// (steps in the body): the funnel report (SPEC §4.2).
struct FunnelController: Sendable {
    let backend: any ReportBackend
    let reports: ReportController
    static let options = ["window", "order", "exclude", "per", "breakdown", "interval"]

    func addRoutes(to router: Router<StepwiseRequestContext>) {
        router.get("/api/v1/sites/{site}/funnels/{name}") { request, context in
            try self.reports.admin.authorize(request)
            let site = try self.reports.knownSite(context)
            let name = try context.parameters.require("name")
            let query = try Self.planFunnel(site: site, name: name, plan: try self.reports.plan(site), parameters: request.uri.queryParameters)
            return try Response.json(encoding: try await self.backend.funnel(query))
        }
        router.post("/api/v1/sites/{site}/funnel") { request, context in
            try self.reports.admin.authorize(request)
            let site = try self.reports.knownSite(context)
            let plan = self.reports.plans.entry(site: site)?.plan
            let body = try await Self.body(request)
            let allowed = ["steps", "from", "to", "include_bots", "segment"] + Self.options
            for key in body.keys where !allowed.contains(key) {
                throw APIError(.badRequest, code: "unknown_field", "unknown field '\(key)'; use \(allowed.joined(separator: ", "))", field: key)
            }
            guard case .array(let items)? = body["steps"], let steps = Self.strings(items) else {
                throw APIError(.badRequest, code: "invalid_value", "steps must be a list of step names", field: "steps")
            }
            var exclusions: [String] = []
            if let value = body["exclude"] {
                guard case .array(let items) = value, let names = Self.strings(items) else {
                    throw APIError(.badRequest, code: "invalid_value", "exclude must be a list of NAME or NAME:FROM:TO", field: "exclude")
                }
                exclusions = names
            }
            let window = try Self.text(body, "window").map(Self.window)
            let order = try Self.text(body, "order").map(Self.order) ?? .ordered
            var query = try Self.build {
                try FunnelQuery(site: site, stepNames: steps, plan: plan, windowMillis: window, order: order, exclusions: exclusions)
            }
            // The remaining fields read like the GET's query parameters.
            var pairs: [(String, String)] = []
            for key in ["from", "to", "interval"] { if let value = try Self.text(body, key) { pairs.append((key, value)) } }
            if let value = body["include_bots"] {
                guard case .bool(let flag) = value else {
                    throw APIError(.badRequest, code: "invalid_value", "include_bots must be true or false", field: "include_bots")
                }
                pairs.append(("include_bots", String(flag)))
            }
            if let value = body["segment"] {
                guard case .array(let items) = value, let texts = Self.strings(items) else {
                    throw APIError(.badRequest, code: "invalid_value", "segment must be a list of dimension=value", field: "segment")
                }
                pairs += texts.map { ("segment", $0) }
            }
            let filter = try ReportFilter(pairs, allowed: ["from", "to", "include_bots", "segment", "interval"], calendar: plan?.calendar ?? .utc)
            try Self.apply(filter, unit: try Self.text(body, "per"), breakdown: try Self.text(body, "breakdown"), to: &query)
            return try Response.json(encoding: try await self.backend.funnel(query))
        }
    }

    /// A plan funnel with the GET endpoint's query parameters (the dashboard reads the same).
    static func planFunnel(site: String, name: String, plan: TrackingPlan, parameters: Parameters) throws -> FunnelQuery {
        guard var definition = plan.funnels.first(where: { $0.name == name }) else {
            throw APIError(.notFound, code: "unknown_funnel",
                           "the plan of \(site) has no funnel \(name); funnels: \(plan.funnels.map(\.name).joined(separator: ", "))", field: "name")
        }
        let filter = try ReportFilter(ReportFilter.pairs(parameters), allowed: ["from", "to", "include_bots", "segment"] + Self.options,
                                      calendar: plan.calendar)
        if let window = parameters.get("window") { definition.windowMillis = try Self.window(window) }
        if let order = parameters.get("order") { definition.order = try Self.order(order) }
        var query = try Self.build { try FunnelQuery(site: site, funnel: definition, plan: plan) }
        for text in parameters.getAll("exclude") { try Self.exclude(String(text), plan: plan, from: &query) }
        try Self.apply(filter, unit: parameters.get("per"), breakdown: parameters.get("breakdown"), to: &query)
        return query
    }

    static func exclude(_ text: String, plan: TrackingPlan, from query: inout FunnelQuery) throws {
        let result = Result { try query.exclude(text, plan: plan) }
        if case .failure(let error) = result, let invalid = error as? FunnelQuery.Invalid {
            throw APIError(.badRequest, code: "invalid_value", invalid.description, field: invalid.field)
        }
        try result.get()
    }

    static func apply(_ filter: ReportFilter, unit: String?, breakdown: String?, to query: inout FunnelQuery) throws {
        query.from = filter.from
        query.to = filter.to
        query.includeBots = filter.includeBots
        query.segments = filter.segments
        query.interval = filter.interval
        if let unit {
            guard let value = FunnelQuery.Unit(rawValue: unit) else {
                throw APIError(.badRequest, code: "invalid_value", "per must be person or session", field: "per")
            }
            query.unit = value
        }
        if let breakdown {
            guard let dimension = Segment.Dimension(name: breakdown) else {
                throw APIError(.badRequest, code: "invalid_value",
                               "breakdown must be one of \(Segment.dimensionNames.joined(separator: ", "))", field: "breakdown")
            }
            query.breakdown = dimension
        }
    }

    static func build(_ make: () throws -> FunnelQuery) throws -> FunnelQuery {
        do { return try make() } catch let error as FunnelQuery.Invalid {
            throw APIError(.badRequest, code: "invalid_value", error.description, field: error.field)
        }
    }

    static func window(_ text: String) throws -> Int64 {
        guard let millis = PlanDuration.millis(text), millis > 0 else {
            throw APIError(.badRequest, code: "invalid_value", "window must be a number and a unit: 45s, 30m, 2h, 7d or 1w", field: "window")
        }
        return millis
    }

    static func order(_ text: String) throws -> FunnelQuery.Order {
        guard let order = FunnelQuery.Order(rawValue: text) else {
            throw APIError(.badRequest, code: "invalid_value", "order must be ordered, strict or any", field: "order")
        }
        return order
    }

    static func body(_ request: Request) async throws -> JSONObject {
        let buffer: ByteBuffer
        do { buffer = try await request.body.collect(upTo: 1 << 16) } catch {
            throw APIError(.contentTooLarge, code: "body_too_large", "a funnel request is at most 64 KiB")
        }
        do {
            guard case .object(let object) = try JSONParser.parse(Array(buffer.readableBytesView)) else {
                throw APIError(.badRequest, code: "invalid_json", "the body must be a JSON object")
            }
            return object
        } catch let error as JSONSyntaxError {
            throw APIError(.badRequest, code: "invalid_json", "\(error)")
        }
    }

    static func strings(_ items: [JSONValue]) -> [String]? {
        let texts = items.compactMap { if case .string(let text) = $0 { text } else { nil } }
        return texts.count == items.count ? texts : nil
    }

    static func text(_ object: JSONObject, _ key: String) throws -> String? {
        guard let value = object[key] else { return nil }
        guard case .string(let text) = value else {
            throw APIError(.badRequest, code: "invalid_value", "\(key) must be a string", field: key)
        }
        return text
    }
}
