import Foundation
import Logging
import Synchronization
import StepwiseStorage

/// Whether this node sends audience webhooks and health alerts. On the embedded store it
/// always does. Scaled out, one node at a time does (`MonitorElection`); the others stand by:
/// they run the same checks and record memberships and open anomalies without queuing a
/// delivery or logging an alert, so whichever takes over sends only what is new.
public final class MonitorRole: Sendable {
    /// Scaled out, a site's events are not in this node's table: every planned site is checked.
    public let scaledOut: Bool
    private let election: (any MonitorElection)?
    public let node: String
    private let sending: Mutex<Bool>
    private let checkedIn = Mutex(false)
    private let logger = Logger(label: "stepwise.monitors")

    /// The only node: it always sends.
    public static let alone = MonitorRole()

    private init() {
        scaledOut = false
        election = nil
        node = "local"
        sending = Mutex(true)
    }

    /// One of several nodes: it stands by until the election says it sends.
    public init(election: any MonitorElection, node: String = UUID().uuidString) {
        scaledOut = true
        self.election = election
        self.node = node
        sending = Mutex(false)
    }

    public var sends: Bool { sending.withLock { $0 } }

    /// Checks in once; when the election cannot be reached this node stops sending, since
    /// another may have taken over meanwhile.
    public func refresh() async {
        guard let election else { return }
        let now: Bool
        do { now = try await election.checkIn(node: node) } catch {
            logger.error("monitor check-in failed, standing by: \(error)")
            now = false
        }
        checkedIn.withLock { $0 = true }
        let before = sending.withLock { state in
            defer { state = now }
            return state
        }
        if now != before { logger.notice(now ? "this node now sends audience webhooks and health alerts" : "this node stands by for webhooks and alerts") }
    }

    /// Returns once this node has checked in at least once, so a first check does not stand
    /// by only because the election has not answered yet.
    public func ready() async {
        guard election != nil, !checkedIn.withLock({ $0 }) else { return }
        await refresh()
    }

    /// Checks in every `interval` until cancelled.
    public func run(every interval: Duration = .seconds(10)) async {
        guard election != nil else { return }
        while !Task.isCancelled {
            await refresh()
            try? await Task.sleep(for: interval)
        }
    }
}
