import Hummingbird
import Logging
import StepwiseCore
import StepwiseEngine
import StepwiseStorage

/// Assembles the router: ingest, reports, operations and the dashboard.
public func buildRouter(
    store: EventStore, configuration: ServerConfiguration, plans: PlanRegistry, sites: SiteRegistry? = nil, metrics: ServerMetrics = ServerMetrics()
) -> Router<StepwiseRequestContext> {
    let router = Router(context: StepwiseRequestContext.self)
    let sites = sites ?? SiteRegistry(store: store, open: configuration.openSites)
    router.add(middleware: CORSPolicy(origins: Set(configuration.corsOrigins), registry: sites))
    let limiter = configuration.rateLimitPerSecond > 0
        ? RateLimiter(rate: configuration.rateLimitPerSecond, burst: configuration.rateLimitBurst) : nil
    var ingest = IngestController(store: store, sink: configuration.scaleOut?.sink ?? store, metrics: metrics, writeKeys: WriteKeyCheck(keys: configuration.writeKeys, registry: sites),
                                  limiter: limiter, botNetworks: configuration.botNetworks, trustedProxies: configuration.trustedProxies,
                                  cookieless: configuration.scaleOut.map { scaleOut in CookielessIdentity { try await scaleOut.salts.dailySalt(day: $0) } }
                                      ?? CookielessIdentity(store: store))
    if configuration.siteRateLimitPerSecond > 0 {
        ingest.siteLimiter = RateLimiter(rate: configuration.siteRateLimitPerSecond,
                                         burst: max(configuration.siteRateLimitPerSecond * 5, Double(EventBatchDecoder.maxBatch)))
    }
    ingest.addRoutes(to: router)
    PlausibleEndpoint(ingest: ingest).addRoutes(to: router)
    SegmentEndpoint(ingest: ingest, sites: sites).addRoutes(to: router)
    GA4Endpoint(ingest: ingest, sites: sites).addRoutes(to: router)
    let admin = AdminCheck(token: configuration.adminToken)
    let backend: any ReportBackend = configuration.scaleOut?.backend ?? EngineBackend(live: store.live, directory: store)
    router.add(middleware: ReportUnavailableMiddleware())
    var reports = ReportController(backend: backend, live: store.live, plans: plans, admin: admin)
    reports.sites = sites
    if configuration.scaleOut != nil {
        // The events are elsewhere: a site is known when it is registered or has a plan.
        reports.knows = { site in sites.accepts(site) || plans.entry(site: site) != nil }
    }
    reports.addRoutes(to: router)
    FunnelController(backend: backend, reports: reports).addRoutes(to: router)
    LeadsController(backend: backend, reports: reports, store: store).addRoutes(to: router)
    AttributionController(backend: backend, reports: reports, store: store).addRoutes(to: router)
    let facts = HealthFactsSource(store: store, shared: configuration.scaleOut?.facts)
    HealthController(backend: backend, reports: reports, store: store, facts: facts).addRoutes(to: router)
    ExperimentController(plans: plans).addRoutes(to: router)
    PlanController(plans: plans, admin: admin, shared: configuration.scaleOut?.plans).addRoutes(to: router)
    SiteController(sites: sites, admin: admin, shared: configuration.scaleOut?.sites).addRoutes(to: router)
    PrivacyController(store: store, admin: admin, scaleOut: configuration.scaleOut).addRoutes(to: router)
    var dashboard = Dashboard(backend: backend, reports: reports, store: store, facts: facts)
    dashboard.scaledOut = configuration.scaleOut != nil
    dashboard.addRoutes(to: router)
    TrackerScript().addRoutes(to: router)
    router.get("/healthz") { _, _ in Response.json(.object(.init(keys: ["status"], values: [.string("ok")]))) }
    router.get("/metrics") { _, _ in
        Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                 body: .init(byteBuffer: ByteBuffer(string: metrics.render(store: store))))
    }
    return router
}

/// The server as a runnable application. Shutdown is graceful (SIGTERM/SIGINT): in-flight
/// requests finish, and each has been acknowledged only after its commit.
public func buildApplication(
    store: EventStore, configuration: ServerConfiguration, plans: PlanRegistry, sites: SiteRegistry? = nil,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    var logger = Logger(label: "stepwise")
    logger.logLevel = .notice
    return Application(
        router: buildRouter(store: store, configuration: configuration, plans: plans, sites: sites),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "stepwise"),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
        logger: logger)
}
