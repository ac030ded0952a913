import StepwiseCore
import StepwiseStorage
import Synchronization

/// Counters for `GET /metrics` in the Prometheus text format.
public final class ServerMetrics: Sendable {
    private struct Counts {
        var accepted = 0
        var duplicates = 0
        var rejected: [String: Int] = [:]
        var requests: [String: Int] = [:]
    }
    private let counts = Mutex(Counts())

    public init() {}

    func record(accepted: Int, duplicates: Int) {
        counts.withLock { $0.accepted += accepted; $0.duplicates += duplicates }
    }

    func recordRejected(_ code: String, count: Int = 1) {
        counts.withLock { $0.rejected[code, default: 0] += count }
    }

    func recordRequest(status: Int) {
        counts.withLock { $0.requests[String(status), default: 0] += 1 }
    }

    /// The exposition text, including the store's commit statistics.
    func render(store: EventStore) -> String {
        let counts = counts.withLock { $0 }
        let commits = store.commitStatistics
        var out = """
            # HELP stepwise_events_accepted_total Events durably stored.
            # TYPE stepwise_events_accepted_total counter
            stepwise_events_accepted_total \(counts.accepted)
            # HELP stepwise_events_duplicate_total Events ignored because their id was already stored.
            # TYPE stepwise_events_duplicate_total counter
            stepwise_events_duplicate_total \(counts.duplicates)
            # HELP stepwise_events_rejected_total Events or requests refused, by error code.
            # TYPE stepwise_events_rejected_total counter

            """
        for code in counts.rejected.keys.sorted() {
            out += "stepwise_events_rejected_total{code=\"\(code)\"} \(counts.rejected[code]!)\n"
        }
        out += "# HELP stepwise_http_requests_total Ingest API responses by status.\n# TYPE stepwise_http_requests_total counter\n"
        for status in counts.requests.keys.sorted() {
            out += "stepwise_http_requests_total{status=\"\(status)\"} \(counts.requests[status]!)\n"
        }
        out += """
            # HELP stepwise_commits_total Group commits (one fsync each).
            # TYPE stepwise_commits_total counter
            stepwise_commits_total \(commits.commits)
            # HELP stepwise_commit_failures_total Commits that failed (nothing acknowledged).
            # TYPE stepwise_commit_failures_total counter
            stepwise_commit_failures_total \(commits.failures)
            # HELP stepwise_commit_seconds Latency of a group commit.
            # TYPE stepwise_commit_seconds histogram

            """
        for (i, bound) in EventStore.CommitStatistics.latencyBounds.enumerated() {
            out += "stepwise_commit_seconds_bucket{le=\"\(bound)\"} \(commits.latencyBuckets[i])\n"
        }
        out += "stepwise_commit_seconds_bucket{le=\"+Inf\"} \(commits.commits)\n"
        out += "stepwise_commit_seconds_sum \(commits.latencySum)\nstepwise_commit_seconds_count \(commits.commits)\n"
        return out
    }
}
