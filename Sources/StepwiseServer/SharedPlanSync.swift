import Foundation
import Logging
import StepwiseStorage

/// Keeps a scaled-out node's plans equal to the shared ones (SPEC §5: stateless nodes): at
/// start it publishes the plans of its own files, then takes every site's latest shared plan,
/// and again every `interval`, so a plan sent to one node is in force on all within it.
public final class SharedPlanSync: Sendable {
    let plans: PlanRegistry
    let shared: any SharedPlans
    let interval: Duration
    let logger = Logger(label: "stepwise.plans")

    public init(plans: PlanRegistry, shared: any SharedPlans, interval: Duration = .seconds(5)) {
        self.plans = plans
        self.shared = shared
        self.interval = interval
    }

    /// Publishes the file plans, then syncs. When this fails (ClickHouse away) the node serves
    /// its own plans until `run` gets through.
    public func start() async throws {
        for (site, yaml) in plans.filePlans { try await shared.storePlan(yaml, site: site) }
        try await syncOnce()
    }

    /// Takes each shared plan that differs from the one in force; returns the sites changed.
    @discardableResult
    public func syncOnce() async throws -> [String] {
        var changed: [String] = []
        for (site, yaml) in try await shared.planTexts().sorted(by: { $0.key < $1.key }) {
            do {
                if try plans.adopt(site: site, yaml: yaml) { changed.append(site) }
            } catch {
                logger.error("shared plan of \(site) does not load here, keeping the one in force: \(error)")
            }
        }
        return changed
    }

    /// Syncs every `interval` until cancelled; ClickHouse away only delays it. File plans are
    /// published again until that has worked once.
    public func run(published: Bool = true) async {
        var published = published
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            do {
                if !published {
                    for (site, yaml) in plans.filePlans { try await shared.storePlan(yaml, site: site) }
                    published = true
                }
                for site in try await syncOnce() { logger.info("plan of \(site) taken from the shared store") }
            } catch {
                logger.warning("shared plans could not be read: \(error)")
            }
        }
    }
}
