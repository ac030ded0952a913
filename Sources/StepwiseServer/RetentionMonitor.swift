import Foundation
import Logging
import StepwiseCore
import StepwiseStorage

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
