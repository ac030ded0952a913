import Foundation
import StepwiseCore
import StepwiseEngine
import StepwiseStorage

/// Everything the server needs to know, read from flags, environment or a file in one
/// place (the CLI) and handed over as a value.
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// Per-site write keys; a site without one accepts events without a key.
    public var writeKeys: [String: String] = [:]
    /// Bearer token for reports and admin endpoints; nil leaves them open (local use).
    public var adminToken: String?
    /// Origins allowed to send events from a browser; empty allows any origin.
    public var corsOrigins: [String] = []
    /// Requests per second allowed per client address; 0 disables the limit.
    public var rateLimitPerSecond = 0.0
    public var rateLimitBurst = 0.0
    /// Events per second allowed per site (a burst of 5 seconds' worth, at least one full
    /// batch); 0 disables the limit.
    public var siteRateLimitPerSecond = 0.0
    /// Data-centre networks: events from these addresses are bot traffic.
    public var botNetworks = try! NetworkList([])
    /// Reverse proxies whose `X-Forwarded-For` header names the client (for cookieless ids,
    /// rate limits and bot networks); any other peer is the client itself.
    public var trustedProxies = try! NetworkList([])
    /// Accept events for any site; otherwise only for registered ones (`stepwise site add`).
    /// `serve` turns this off unless `--open-sites`; the demo and tests leave it on.
    public var openSites = true
    /// Events and reports elsewhere (ClickHouse, SPEC §5); nil for the embedded store.
    public var scaleOut: ScaleOut?

    public init() {}
}

/// Where events go, reports come from, erasures happen and the cookieless salt lives when the
/// node is scaled out: the local database keeps only sites, plans, keys and the erasure log.
public struct ScaleOut: Sendable {
    public var sink: any EventSink
    public var backend: any ReportBackend
    public var erasure: any RemoteErasure
    public var salts: any DailySaltSource
    /// Plans and sites shared by every node (nil: each node's own).
    public var plans: (any SharedPlans)?
    public var sites: (any SharedSites)?
    /// Annotations and ingest outcomes shared by every node (nil: each node's own).
    public var facts: (any SharedHealthFacts)?

    public init(sink: any EventSink, backend: any ReportBackend, erasure: any RemoteErasure, salts: any DailySaltSource,
                plans: (any SharedPlans)? = nil, sites: (any SharedSites)? = nil, facts: (any SharedHealthFacts)? = nil) {
        self.sink = sink
        self.backend = backend
        self.erasure = erasure
        self.salts = salts
        self.plans = plans
        self.sites = sites
        self.facts = facts
    }
}
