import Foundation
import Hummingbird
import Logging
import StepwiseCore
import StepwiseStorage

/// Privacy operations (SPEC §3): `DELETE /api/v1/sites/{site}/persons/{person}` erases a person
/// from SQLite and the engine; `GET /api/v1/sites/{site}/erasures` is the log of erasures and
/// retention runs (counts and a hash, never the erased id). Admin only.
struct PrivacyController: Sendable {
    let store: EventStore
    let admin: AdminCheck

    func addRoutes(to router: Router<StepwiseRequestContext>) {
        router.delete("/api/v1/sites/{site}/persons/{person}") { request, context in
            try self.admin.authorize(request)
            let site = try context.parameters.require("site")
            let person = try context.parameters.require("person")
            guard let record = try await self.store.erase(site: site, person: person) else {
                throw APIError(.notFound, code: "unknown_person", "site \(site) has no visitor or user \(person)", field: "person")
            }
            context.logger.notice("erased a person", metadata: [
                "site": .string(site), "person_sha256": .string(record.personSha256 ?? ""), "events": .stringConvertible(record.events),
                "visitors": .stringConvertible(record.visitors), "users": .stringConvertible(record.users),
            ])
            return try Response.json(encoding: ["erased": record])
        }
        router.get("/api/v1/sites/{site}/erasures") { request, context in
            try self.admin.authorize(request)
            let site = try context.parameters.require("site")
            return try Response.json(encoding: ["erasures": try self.store.erasures(site: site)])
        }
    }
}

/// Deletes events older than the retention period at start and then every `interval`.
public struct RetentionMonitor: Sendable {
    let store: EventStore
    let retentionMillis: Int64
    let interval: Duration
    let logger = Logger(label: "stepwise.retention")

    public init(store: EventStore, retentionMillis: Int64, interval: Duration = .seconds(6 * 3600)) {
        self.store = store
        self.retentionMillis = retentionMillis
        self.interval = interval
    }

    /// One run: the log entry, or nil when nothing was old enough.
    @discardableResult
    public func runOnce(now: Date = Date()) async throws -> ErasureRecord? {
        let cutoff = Int64(now.timeIntervalSince1970 * 1000) - retentionMillis
        let record = try await store.prune(before: cutoff, now: now)
        if let record {
            logger.notice("retention deleted old events", metadata: [
                "before": .string(Timestamp.formatRFC3339(cutoff)), "events": .stringConvertible(record.events),
                "visitors": .stringConvertible(record.visitors), "users": .stringConvertible(record.users),
            ])
        }
        return record
    }

    public func run() async {
        while !Task.isCancelled {
            do { try await runOnce() } catch { logger.error("retention run failed: \(error)") }
            try? await Task.sleep(for: interval)
        }
    }
}
