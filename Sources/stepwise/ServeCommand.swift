import ArgumentParser
import Foundation
import Hummingbird
import StepwiseClickHouse
import StepwiseCore
import StepwiseEngine
import StepwisePlan
import StepwiseServer
import StepwiseStorage

/// `stepwise serve`: the HTTP server on the embedded store.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the HTTP server.")

    @OptionGroup var store: StoreOptions
    @OptionGroup var server: ServerOptions
    @OptionGroup var clickhouse: ClickHouseOptions

    func run() async throws {
        let hold = try store.hold(beside: "one server per database; stop the other first")
        defer { withExtendedLifetime(hold) {} }
        let eventStore = try store.open()
        guard let endpoint = try clickhouse.endpoint() else {
            try await serve(eventStore, server, banner: "Stepwise")
            return
        }
        // Scaled out: events, reports, plans and sites in ClickHouse; the local database keeps a copy of plans and sites, and the logs.
        let client = ClickHouseClient(endpoint)
        // One server is migrated here; a cluster's DDL is the operators' to apply (`clickhouse migrate`), checked here.
        let schema = ClickHouseSchema(database: endpoint.database, cluster: clickhouse.cluster)
        do {
            if schema.cluster == nil { _ = try await schema.migrate(client) } else { try await schema.verify(client) }
        } catch {
            throw CLIError.runtime("--clickhouse: \(error)")
        }
        let writer = ClickHouseEventWriter(client: client, spoolPath: clickhouse.spool)
        let replay = Task { await writer.run() }
        defer { replay.cancel() }
        let scaleOut = ScaleOut(sink: writer, backend: ClickHouseBackend(client: client, cluster: clickhouse.cluster),
                                erasure: ClickHouseEraser(client: client, cluster: clickhouse.cluster), salts: ClickHouseSalts(client: client),
                                plans: ClickHousePlans(client: client), sites: ClickHouseSites(client: client),
                                facts: ClickHouseHealthFacts(client: client, cluster: clickhouse.cluster))
        let role = MonitorRole(election: ClickHouseMonitors(client: client))
        try await serve(eventStore, server, banner: "Stepwise", scaleOut: scaleOut, role: role,
                        where: "events in ClickHouse \(endpoint.url) database \(endpoint.database)")
        try? await writer.flush()
    }
}

/// Runs the server until SIGTERM/SIGINT; prints the URL once listening.
func serve(_ store: EventStore, _ options: ServerOptions, banner: String, openSites: Bool = false, scaleOut: ScaleOut? = nil,
           role: MonitorRole = .alone, where location: String? = nil) async throws {
    var configuration = ServerConfiguration()
    configuration.scaleOut = scaleOut
    configuration.openSites = openSites || options.openSites
    configuration.host = options.host
    configuration.port = options.port
    configuration.adminToken = options.adminToken
    configuration.corsOrigins = options.corsOrigins
    configuration.rateLimitPerSecond = options.rateLimit
    configuration.rateLimitBurst = options.rateLimit * 2
    configuration.siteRateLimitPerSecond = options.siteRateLimit
    configuration.botNetworks = try NetworkList(options.botNetworks)
    do { configuration.trustedProxies = try NetworkList(options.trustedProxies) } catch {
        throw CLIError.usage("--trusted-proxy: \(error)")
    }
    for pair in options.writeKeys {
        let parts = pair.split(separator: "=", maxSplits: 1)
        configuration.writeKeys[String(parts[0])] = String(parts[1])
    }
    let plans: PlanRegistry
    do {
        plans = try PlanRegistry(store: store, files: options.planFiles)
    } catch let error as PlanError {
        throw CLIError.usage(error.description)
    }
    let reload = PlanReloadSignal(plans: plans)
    defer { reload.cancel() }
    // Scaled out, plans and sites are shared: what only this node has is published, then the shared state taken.
    let sites = SiteRegistry(store: store, open: configuration.openSites)
    let sync = scaleOut.map { scaleOut in
        SharedStateSync(plans: plans, sharedPlans: scaleOut.plans, sites: sites, sharedSites: scaleOut.sites,
                        rejections: scaleOut.facts.map { (store, $0) })
    }
    var started = true
    if let sync {
        do { try await sync.start() } catch {
            started = false
            // Events are still accepted (and spooled); the plans follow once ClickHouse answers.
            FileHandle.standardError.write(Data("stepwise: the shared plans and sites could not be read or stored yet, serving this node's own: \(error)\n".utf8))
        }
    }
    let syncTask = sync.map { [started] sync in Task { await sync.run(published: started) } }
    defer { syncTask?.cancel() }
    let host = options.host
    let location = location ?? "\(store.live.snapshot().count) events, database \(store.path)"
    let app = buildApplication(store: store, configuration: configuration, plans: plans, sites: sites) { port in
        // Unbuffered, so scripts waiting for this line see it at once.
        FileHandle.standardOutput.write(Data("\(banner) listening on http://\(host):\(port)/ (\(location))\n".utf8))
    }
    // Audience webhooks and health checks run beside the server and stop with it, on the report
    // backend; scaled out, the node the election picks sends and the others stand by.
    let backend = scaleOut?.backend ?? EngineBackend(live: store.live, directory: store)
    let roleTask = Task { await role.run() }
    defer { roleTask.cancel() }
    let webhooks = options.webhookSecret.map {
        AudienceWebhooks(store: store, backend: backend, plans: plans, secret: $0, interval: .milliseconds(options.audienceIntervalMillis), role: role)
    }
    if webhooks == nil, plans.sites.contains(where: { plans.entry(site: $0)?.plan.audiences.contains { $0.webhook != nil } == true }) {
        FileHandle.standardError.write(Data("stepwise: audience webhooks are off: give --webhook-secret (or STEPWISE_WEBHOOK_SECRET) to sign them\n".utf8))
    }
    let webhookTask = webhooks.map { hooks in Task { await role.ready(); await hooks.run() } }
    defer { webhookTask?.cancel() }
    // Tracking health: log lines always, webhooks when signed.
    let health = HealthMonitor(store: store, backend: backend, plans: plans, signs: options.webhookSecret != nil,
                               interval: .milliseconds(options.healthIntervalMillis), role: role, sharedFacts: scaleOut?.facts)
    let healthTask = Task { await role.ready(); await health.run() }
    defer { healthTask.cancel() }
    // Events past the retention period are deleted at start and every 6 hours; scaled out, by the
    // node that sends alerts (one ALTER … DELETE for all, not one per node).
    let retentionTask = options.retentionMillis.map { millis in
        let prune = scaleOut.map { scaleOut in
            { @Sendable cutoff in role.sends ? try await scaleOut.erasure.prune(before: cutoff, loggingTo: store) : nil }
        }
        return Task {
            await role.ready()
            await RetentionMonitor(store: store, retentionMillis: millis, prune: prune).run()
        }
    }
    defer { retentionTask?.cancel() }
    do {
        try await app.runService()
    } catch {
        throw CLIError.runtime("server stopped: \(error)")
    }
}

/// Reloads the plan files on SIGHUP, reporting each change (or refusal) on stderr.
final class PlanReloadSignal {
    private let source: any DispatchSourceSignal

    init(plans: PlanRegistry) {
        signal(SIGHUP, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        source.setEventHandler {
            let lines = plans.reloadFiles()
            let text = lines.isEmpty ? "stepwise: SIGHUP: no plan file changed\n" : lines.map { "stepwise: \($0)\n" }.joined()
            FileHandle.standardError.write(Data(text.utf8))
        }
        source.resume()
    }

    func cancel() { source.cancel() }
}
