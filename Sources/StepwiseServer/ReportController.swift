import Hummingbird
import StepwiseCore
import StepwiseEngine
import StepwisePlan
import StepwiseStorage

/// Report endpoints under `/api/v1/sites`, answered by a `ReportBackend`.
struct ReportController: Sendable {
    let backend: any ReportBackend
    let live: LiveEventTable
    let plans: PlanRegistry
    let admin: AdminCheck
    /// Registered sites, listed beside the sites with traffic.
    var sites: SiteRegistry?
    /// Which sites reports accept; nil: those with events in the live table.
    var knows: (@Sendable (String) -> Bool)?

    func addRoutes(to router: Router<StepwiseRequestContext>) {
        router.get("/api/v1/sites") { request, _ in
            try self.admin.authorize(request)
            return Response.json(.object(JSONObject(
                keys: ["sites", "registered", "open"],
                values: [.array(SiteSummary.all(in: self.live.snapshot()).map(\.json)),
                         .array((self.sites?.all ?? []).map(SiteController.json)), .bool(self.sites?.open ?? true)])))
        }
        router.get("/api/v1/sites/{site}/events") { request, context in
            try self.admin.authorize(request)
            let site = try self.knownSite(context)
            let plan = self.plans.entry(site: site)?.plan
            let filter = try ReportFilter(ReportFilter.pairs(request.uri.queryParameters), allowed: ["from", "to", "include_bots"], calendar: plan?.calendar ?? .utc)
            let query = EventCountsQuery(
                site: site, from: filter.from, to: filter.to, includeBots: filter.includeBots,
                sessionTimeoutMillis: plan?.sessionTimeoutMillis ?? SessionSplitter.defaultTimeoutMillis)
            return try Response.json(encoding: try await self.backend.eventCounts(query))
        }
        router.get("/api/v1/sites/{site}/rates") { request, context in
            try self.admin.authorize(request)
            let site = try self.knownSite(context)
            let plan = try self.plan(site)
            let filter = try ReportFilter(
                ReportFilter.pairs(request.uri.queryParameters), allowed: ["from", "to", "include_bots", "segment", "interval"],
                calendar: plan.calendar)
            let query = RatesQuery(
                site: site, plan: plan, from: filter.from, to: filter.to, segments: filter.segments, interval: filter.interval,
                includeBots: filter.includeBots)
            return try Response.json(encoding: try await self.backend.rates(query))
        }
    }

    /// The site named in the path, which must have events.
    func knownSite(_ context: StepwiseRequestContext) throws -> String {
        let site = try context.parameters.require("site")
        guard knows?(site) ?? (live.snapshot().siteID(site) != nil) else {
            throw APIError(.notFound, code: "unknown_site", "no events have been stored for site \(site)", field: "site")
        }
        return site
    }

    func plan(_ site: String) throws -> TrackingPlan {
        guard let entry = plans.entry(site: site) else {
            throw APIError(.notFound, code: "no_plan",
                           "site \(site) has no tracking plan; PUT one to /api/v1/sites/\(site)/plan or start the server with --plan FILE",
                           field: "site")
        }
        return entry.plan
    }
}

/// The query parameters every report shares: range, bots, segments, series interval.
struct ReportFilter {
    var from: Int64?
    var to: Int64?
    var includeBots = false
    var segments: [Segment] = []
    var interval: RatesQuery.Interval = .day

    static func pairs(_ parameters: Parameters) -> [(String, String)] { parameters.map { (String($0.key), String($0.value)) } }

    /// From query parameters (or a body's fields), `allowed` naming those the caller reads itself
    /// too. Dates in `from`/`to` are days of `calendar` (the site plan's time zone).
    init(_ pairs: [(String, String)], allowed: [String], calendar: LocalCalendar) throws {
        for (key, _) in pairs where !allowed.contains(key) {
            throw APIError(.badRequest, code: "unknown_parameter",
                           "unknown query parameter '\(key)'; use \(allowed.joined(separator: ", "))", field: key)
        }
        func get(_ key: String) -> String? { pairs.first { $0.0 == key }?.1 }
        do {
            (from, to) = try DateBound.parse(from: get("from"), to: get("to"), calendar: calendar)
        } catch {
            throw APIError(.badRequest, code: "invalid_value", error.description, field: error.field)
        }
        if let flag = get("include_bots") {
            guard let value = Bool(flag) else {
                throw APIError(.badRequest, code: "invalid_value", "include_bots must be true or false", field: "include_bots")
            }
            includeBots = value
        }
        for (key, text) in pairs where key == "segment" {
            do {
                segments.append(try Segment(parsing: text))
            } catch {
                throw APIError(.badRequest, code: "invalid_value", error.description, field: "segment")
            }
        }
        if let text = get("interval") {
            guard let interval = RatesQuery.Interval(rawValue: text) else {
                throw APIError(.badRequest, code: "invalid_value", "interval must be day or week", field: "interval")
            }
            self.interval = interval
        }
    }
}

/// The admin token check for reports, plan changes and erasure. A dashboard session cookie
/// also opens the reads (GET, HEAD), so the dashboard's JSON and CSV links work in the browser;
/// writes always need the header, so a forged cross-site form can change nothing.
struct AdminCheck: Sendable {
    let token: String?
    /// The dashboard's credentials, derived from the token.
    let session: DashboardSession?

    init(token: String?) {
        self.token = token
        session = token.map(DashboardSession.init)
    }

    func authorize(_ request: Request) throws {
        guard let token else { return }
        if let header = request.headers[.authorization], header.hasPrefix("Bearer "), constantTimeEqual(String(header.dropFirst(7)), token) {
            return
        }
        if request.method == .get || request.method == .head, session?.session(of: request) != nil { return }
        throw APIError(.unauthorized, code: "unauthorized", "this endpoint needs the admin token (Authorization: Bearer TOKEN)")
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
