import Foundation
import Hummingbird
import StepwiseCore
import StepwiseEngine
import StepwisePlan
import StepwiseStorage

/// The dashboard (SPEC §6): server-rendered pages per site, answered by the same backend and
/// query builders as the JSON API, so a page and its API URL show the same numbers. Readable
/// without JavaScript; every view's state is in its URL.
struct Dashboard: Sendable {
    let backend: any ReportBackend
    let reports: ReportController
    let store: EventStore
    let facts: HealthFactsSource
    /// Scaled out, the events are in ClickHouse, not in the local table: the site list comes
    /// from the plans and registered sites, and says where the answers are, not "no events yet".
    var scaledOut = false
    /// nil when the server has no admin token: then the dashboard is open, like the API.
    let session: DashboardSession?

    init(backend: any ReportBackend, reports: ReportController, store: EventStore, facts: HealthFactsSource) {
        self.backend = backend
        self.reports = reports
        self.store = store
        self.facts = facts
        session = reports.admin.session
    }

    /// A rendered page body and the page's own form controls.
    struct View {
        var body: String
        var controls = ""
    }

    func addRoutes(to router: Router<StepwiseRequestContext>) {
        DashboardAssets.addRoutes(to: router)
        DashboardLogin(admin: reports.admin).addRoutes(to: router)
        router.get("/") { request, _ in
            guard let access = self.access(request, site: nil) else { return DashboardLogin.redirectToLogin(request) }
            return Self.html(self.siteList(access), status: .ok, since: .now)
        }
        router.get("/sites/{site}") { request, context in
            try await self.serve(request, context, tab: .overview)
        }
        router.get("/sites/{site}/{tab}") { request, context in
            guard let tab = DashboardTab(rawValue: try context.parameters.require("tab")) else {
                throw HTTPError(.notFound, message: "no such dashboard page")
            }
            return try await self.serve(request, context, tab: tab)
        }
    }

    /// Who may look, or nil to send them to the login form.
    func access(_ request: Request, site: String?) -> DashboardAccess? {
        guard let session else { return .open }
        if let value = session.session(of: request) { return .admin(csrf: session.csrf(for: value)) }
        if (try? reports.admin.authorize(request)) != nil { return .admin(csrf: nil) }
        if let site, let key = request.uri.queryParameters.get("share"), session.isValid(shareKey: key, site: site) { return .shared(site: site) }
        return nil
    }

    func serve(_ request: Request, _ context: StepwiseRequestContext, tab: DashboardTab) async throws -> Response {
        let site = try context.parameters.require("site")
        guard let access = access(request, site: site) else { return DashboardLogin.redirectToLogin(request) }
        let start = ContinuousClock.now
        let state = DashboardState(site: site, tab: tab, query: ReportFilter.pairs(request.uri.queryParameters))
        let known = knownSites
        let sites = access == .shared(site: site) ? [site] : known
        var status = HTTPResponse.Status.ok
        var view = View(body: "")
        var error: String?
        do {
            guard known.contains(site) else { throw APIError(.notFound, code: "unknown_site", "no events have been stored for site \(site)") }
            if let key = state.unknownKeys.first {
                throw APIError(.badRequest, code: "unknown_parameter", "\(tab.title) does not read '\(key)'")
            }
            view = try await render(tab, state)
        } catch let failure as ReportUnavailable {
            // ClickHouse away: said on the page, with the layout kept.
            status = .serviceUnavailable
            error = failure.reason
        } catch let failure as APIError {
            status = failure.status
            // Name the field unless the message starts with it already.
            error = failure.field.map { failure.message.hasPrefix($0) ? failure.message : "\($0): \(failure.message)" } ?? failure.message
        }
        let shareKey: String? = if case .admin = access, tab == .overview { session?.shareKey(site: site) } else { nil }
        let html = DashboardLayout.page(title: "\(site) · \(tab.title)", state: state, sites: sites, access: access, shareKey: shareKey,
                                        controls: view.controls, error: error, body: view.body)
        return Self.html(html, status: status, since: start)
    }

    func render(_ tab: DashboardTab, _ state: DashboardState) async throws -> View {
        guard let plan = reports.plans.entry(site: state.site)?.plan else {
            return View(body: "<p class=\"note\">This site has no tracking plan yet: its pages need one. PUT a plan to "
                + "<code>/api/v1/sites/\(escape(state.site))/plan</code> or start the server with <code>--plan FILE</code>.</p>"
                + (try await eventsTable(state)))
        }
        switch tab {
        case .overview: return try await overview(state, plan: plan)
        case .funnels: return try await funnels(state, plan: plan)
        case .predictors: return try await predictors(state, plan: plan)
        case .leads: return try await leads(state, plan: plan)
        case .experiments: return try await experiments(state, plan: plan)
        case .attribution: return try await attribution(state, plan: plan)
        case .health: return try await health(state, plan: plan)
        case .plan: return try await planPage(state, plan: plan)
        }
    }

    /// The shared filter of a page, parsed as the API parses it.
    func filter(_ state: DashboardState, plan: TrackingPlan) throws -> ReportFilter {
        try ReportFilter(state.filterPairs, allowed: state.tab.filters, calendar: plan.calendar)
    }

    /// Query pairs as the API's query parameters, for the builders the API uses.
    static func parameters(_ pairs: [(String, String)]) -> Parameters {
        Parameters(pairs.map { (Substring($0.0), Substring($0.1)) })
    }

    /// The plan's macros as a picker (the page's `macro` option).
    static func macroPicker(_ state: DashboardState, plan: TrackingPlan) -> String {
        let macros = plan.macros.map(\.name)
        return DashboardLayout.select("macro", label: "Macro", options: macros.map { ($0, $0) }, selected: state.value("macro") ?? macros.first)
    }

    /// The sites a page may show: those with events in the local table, or on a scaled-out node
    /// (events in ClickHouse) those registered or with a plan.
    var knownSites: [String] {
        guard scaledOut else { return reports.live.snapshot().siteNames }
        return Array(Set(reports.plans.sites + (reports.sites?.all.map(\.name) ?? []))).sorted()
    }

    func siteList(_ access: DashboardAccess) -> String {
        let summaries = SiteSummary.all(in: reports.live.snapshot())
        var body = ""
        if scaledOut {
            body = "<p>This node keeps its events in ClickHouse; every page reads them there.</p>"
                + DashboardLayout.table(["Site"], knownSites.map { site in
                    ["<a href=\"\(escape(DashboardTab.overview.path(site: site)))\">\(escape(site))</a>"]
                })
        } else if summaries.isEmpty {
            body = "<p>No events yet. Send some to <code>POST /api/v1/events</code>, or add the tracker: "
                + "<code>&lt;script defer src=\"/js/stepwise.js\" data-site=\"example.com\"&gt;&lt;/script&gt;</code>.</p>"
        } else {
            body = DashboardLayout.table(["Site", "Events", "Persons", "Bots excluded"], summaries.map { summary in
                ["<a href=\"\(escape(DashboardTab.overview.path(site: summary.site)))\">\(escape(summary.site))</a>",
                 String(summary.events), String(summary.persons), String(summary.botPersons)]
            })
        }
        return DashboardLayout.page(title: "Sites", state: nil, sites: [], access: access, body: body)
    }

    /// Every event name with its counts: what a site without a plan can still see.
    func eventsTable(_ state: DashboardState) async throws -> String {
        let filter = try ReportFilter(state.filterPairs, allowed: state.tab.filters, calendar: .utc)
        let counts = try await backend.eventCounts(EventCountsQuery(site: state.site, from: filter.from, to: filter.to, includeBots: filter.includeBots,
                                                                    sessionTimeoutMillis: SessionSplitter.defaultTimeoutMillis))
        let api = state.api("events", keys: ["from", "to", "include_bots"])
        return DashboardLayout.section("Events", api: api, DashboardLayout.table(["Event", "Events", "Persons", "Sessions"], counts.events.enumerated().map { k, row in
            [escape(row.event), DashboardLayout.int(row.events, "events.\(k).events"), DashboardLayout.int(row.persons, "events.\(k).persons"),
             DashboardLayout.int(row.sessions, "events.\(k).sessions")]
        }))
    }

    /// `Server-Timing` carries the render time, so the benchmark reads server time, not the network's.
    static func html(_ html: String, status: HTTPResponse.Status, since start: ContinuousClock.Instant) -> Response {
        let elapsed = ContinuousClock.now - start
        let millis = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        return Response(status: status, headers: [
            .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
            .init("Server-Timing")!: String(format: "render;dur=%.2f", millis),
            // Nothing but Stepwise's own files, no framing by other sites.
            .init("Content-Security-Policy")!: "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'",
            .init("X-Content-Type-Options")!: "nosniff", .init("Referrer-Policy")!: "same-origin",
        ], body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}
