import Foundation
import Logging
import StepwiseStorage

/// Keeps a scaled-out node's plans and registered sites equal to the shared ones (SPEC §5:
/// stateless nodes): at start it publishes what only it has (its `--plan` files, sites it
/// registered before it was scaled out), then takes the shared state, and again every
/// `interval`, so a plan or site sent to one node is in force on all within it. The events
/// this node rejected are added to the shared ingest outcomes at the same pace, so health's
/// data quality counts every node's.
public final class SharedStateSync: Sendable {
    let plans: PlanRegistry
    let sharedPlans: (any SharedPlans)?
    let sites: SiteRegistry?
    let sharedSites: (any SharedSites)?
    /// Where rejections are noted (`IngestController`) and where they go.
    let rejections: (store: EventStore, facts: any SharedHealthFacts)?
    let interval: Duration
    let logger = Logger(label: "stepwise.shared")

    public init(plans: PlanRegistry, sharedPlans: (any SharedPlans)?, sites: SiteRegistry? = nil, sharedSites: (any SharedSites)? = nil,
                rejections: (store: EventStore, facts: any SharedHealthFacts)? = nil, interval: Duration = .seconds(5)) {
        self.plans = plans
        self.sharedPlans = sharedPlans
        self.sites = sites
        self.sharedSites = sharedSites
        self.rejections = rejections
        self.interval = interval
    }

    /// Adds the rejections noted since the last call to the shared tallies; kept for the next
    /// call when that fails.
    public func shipRejections() async throws {
        guard let (store, facts) = rejections else { return }
        let counts = store.takeRejections()
        do { try await facts.addRejections(counts) } catch {
            store.returnRejections(counts)
            throw error
        }
    }

    /// Publishes, then syncs. When this fails (ClickHouse away) the node serves its own plans
    /// and sites until `run` gets through.
    public func start() async throws {
        try await publish()
        try await syncOnce()
    }

    /// The file plans; the local sites the shared store has never heard of (a site removed
    /// there is not brought back by a node that still has it).
    private func publish() async throws {
        if let sharedPlans {
            for (site, yaml) in plans.filePlans { try await sharedPlans.storePlan(yaml, site: site) }
        }
        if let sites, let sharedSites {
            let known = try await sharedSites.sites()
            for site in sites.all where known[site.name] == nil { try await sharedSites.storeSite(site) }
        }
    }

    /// Takes the shared plans and sites that differ from those in force; returns what changed.
    @discardableResult
    public func syncOnce() async throws -> [String] {
        var changed: [String] = []
        if let sharedPlans {
            for (site, yaml) in try await sharedPlans.planTexts().sorted(by: { $0.key < $1.key }) {
                do {
                    if try plans.adopt(site: site, yaml: yaml) { changed.append("plan of \(site)") }
                } catch {
                    logger.error("shared plan of \(site) does not load here, keeping the one in force: \(error)")
                }
            }
        }
        if let sites, let sharedSites {
            let current = try await sharedSites.sites().compactMap { $0.value }
            changed += try sites.adopt(current).map { "site \($0)" }
        }
        return changed
    }

    /// Syncs every `interval` until cancelled; ClickHouse away only delays it. What is to be
    /// published is published first, until that has worked once.
    public func run(published: Bool = true) async {
        var published = published
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            do {
                if !published {
                    try await publish()
                    published = true
                }
                for change in try await syncOnce() { logger.info("\(change) taken from the shared store") }
                try await shipRejections()
            } catch {
                logger.warning("the shared plans and sites could not be read: \(error)")
            }
        }
    }
}
