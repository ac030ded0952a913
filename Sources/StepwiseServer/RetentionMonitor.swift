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
    /// Where old events are deleted: the store, or ClickHouse when scaled out.
    let prune: @Sendable (_ cutoff: Int64, _ now: Date) async throws -> ErasureRecord?

    public init(store: EventStore, retentionMillis: Int64, interval: Duration = .seconds(6 * 3600),
                prune: (@Sendable (_ cutoff: Int64) async throws -> ErasureRecord?)? = nil) {
        self.store = store
        self.retentionMillis = retentionMillis
        self.interval = interval
        if let prune {
            self.prune = { cutoff, _ in try await prune(cutoff) }
        } else {
            self.prune = { cutoff, now in try await store.prune(before: cutoff, now: now) }
        }
    }

    /// One run: the log entry, or nil when nothing was old enough.
    @discardableResult
    public func runOnce(now: Date = Date()) async throws -> ErasureRecord? {
        let cutoff = Int64(now.timeIntervalSince1970 * 1000) - retentionMillis
        let record = try await prune(cutoff, now)
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
