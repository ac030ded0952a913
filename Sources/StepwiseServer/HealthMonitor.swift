import Foundation
import Logging
import StepwiseCore
import StepwiseEngine
import StepwiseStorage

/// Watches every planned site's tracking health and alerts when an anomaly opens and when
/// it closes (SPEC §4.9): a log line always, and a signed webhook to the plan's
/// `health.webhook` when the server has a webhook secret. The open set is stored, so an
/// anomaly that stays open alerts once, across checks and restarts. Deliveries go out (and
/// are retried) with the audience webhooks'. Scaled out, only the node `role` elects logs and
/// sends; the others keep the open set current.
public final class HealthMonitor: Sendable {
    let store: EventStore
    let backend: any ReportBackend
    let plans: PlanRegistry
    let role: MonitorRole
    let facts: HealthFactsSource
    /// Without a secret nothing is signed, so only log lines are written.
    let signs: Bool
    let interval: Duration
    let logger = Logger(label: "stepwise.health")

    public init(store: EventStore, backend: any ReportBackend, plans: PlanRegistry, signs: Bool, interval: Duration = .seconds(300),
                role: MonitorRole = .alone, sharedFacts: (any SharedHealthFacts)? = nil) {
        self.store = store
        self.backend = backend
        self.plans = plans
        self.role = role
        facts = HealthFactsSource(store: store, shared: sharedFacts)
        self.signs = signs
        self.interval = interval
    }

    public func run() async {
        while !Task.isCancelled {
            await check()
            try? await Task.sleep(for: interval)
        }
    }

    /// One check of every planned site with events; returns what opened and closed per site.
    @discardableResult
    public func check(now: Int64 = Int64(Date().timeIntervalSince1970 * 1000)) async -> [String: EventStore.HealthAlertChange] {
        var changes: [String: EventStore.HealthAlertChange] = [:]
        for site in plans.sites {
            guard let plan = plans.entry(site: site)?.plan, role.scaledOut || store.live.snapshot().siteID(site) != nil else { continue }
            let sends = role.sends
            do {
                var query = HealthQuery(site: site, plan: plan, now: now)
                query.days = 2
                try await facts.attach(&query)
                let report = try await backend.health(query)
                let encoder = ReportEncoding.encoder()
                var open: [String: String] = [:]
                var why: [String: String] = [:]
                for anomaly in report.open {
                    open[anomaly.key] = String(decoding: try encoder.encode(anomaly), as: UTF8.self)
                    why[anomaly.key] = anomaly.why
                }
                let change = try store.syncHealthAlerts(site: site, open: open, webhook: signs && sends ? plan.health.webhook : nil, now: now) { key, state, summary, id in
                    Self.body(id: id, site: site, state: state, summary: summary, at: now)
                }
                guard sends else { continue }
                for key in change.opened { logger.warning("anomaly opened on \(site): \(why[key] ?? key)") }
                for key in change.closed { logger.notice("anomaly closed on \(site): \(key)") }
                if !change.opened.isEmpty || !change.closed.isEmpty { changes[site] = change }
            } catch {
                logger.error("health check failed for \(site): \(error)")
            }
        }
        return changes
    }

    /// `{"id", "type": "health.anomaly_opened|closed", "site", "anomaly": {...}, "at"}`.
    static func body(id: String, site: String, state: String, summary: String, at now: Int64) -> String {
        let anomaly = (try? JSONParser.parse(summary)) ?? .string(summary)
        return JSONWriter.write(.object(JSONObject(
            keys: ["id", "type", "site", "anomaly", "at"],
            values: [.string(id), .string("health.anomaly_\(state)"), .string(site), anomaly, .string(Timestamp.formatRFC3339(now))])))
    }
}
