import Foundation
import StepwiseCore
import StepwiseEngine

/// Deletes where the events are when they are not in this store (ClickHouse, when scaled
/// out), and logs the run in this store's erasure log, as `erase` and `prune` here do.
public protocol RemoteErasure: Sendable {
    /// Nil when the site knows no visitor or user of that id.
    func erase(site: String, person: String, loggingTo store: EventStore) async throws -> ErasureRecord?
    /// Nil when no event was older than `cutoff` (Unix ms).
    func prune(before cutoff: Int64, loggingTo store: EventStore) async throws -> ErasureRecord?
}

/// The cookieless daily salt, kept where every node reads the same one.
public protocol DailySaltSource: Sendable {
    func dailySalt(day: String) async throws -> Data
}

/// The registered sites (and their keys) every node accepts, kept where all of them read.
public protocol SharedSites: Sendable {
    /// Every site ever registered: its settings, or nil once removed.
    func sites() async throws -> [String: SiteSettings?]
    func storeSite(_ site: SiteSettings) async throws
    func removeSite(_ name: String) async throws
}

/// The tracking plans every node serves, kept where all of them read: a plan sent to one node
/// reaches the others, so nodes need no plan files of their own.
public protocol SharedPlans: Sendable {
    /// Each site's latest plan text.
    func planTexts() async throws -> [String: String]
    func storePlan(_ yaml: String, site: String) async throws
}

/// Which node of a scaled-out deployment sends audience webhooks and health alerts: one at a
/// time, so a receiver is not called once per node.
public protocol MonitorElection: Sendable {
    /// Records that this node is alive; true when it is the one that sends.
    func checkIn(node: String) async throws -> Bool
}

/// What tracking health reads beside the events, kept where every node reads the same:
/// annotations, and ingest outcomes per site, day and code.
public protocol SharedHealthFacts: Sendable {
    /// A site's annotations in [from, to), oldest first.
    func annotations(site: String, from: Int64?, to: Int64?) async throws -> [Annotation]
    /// Stores an annotation and returns it with its id.
    func addAnnotation(_ annotation: Annotation) async throws -> Annotation
    /// Adds a node's rejected events (site, UTC day, code → count).
    func addRejections(_ counts: [IngestCount]) async throws
    /// A site's ingest outcomes per UTC day, from the day of `since` (ms) on.
    func ingestTallies(site: String, since: Int64) async throws -> [IngestTally]
}

/// Events of one site with one outcome on one UTC day.
public struct IngestCount: Sendable, Equatable {
    public var site: String
    public var day: String
    public var code: String
    public var count: Int
}

extension SharedHealthFacts {
    /// What a health query needs: as `EventStore.attachHealthFacts` reads it from the node's database.
    public func attach(_ query: inout HealthQuery) async throws {
        let from = query.factsFrom
        query.annotations = try await annotations(site: query.site, from: from, to: query.now + 1)
        query.ingest = try await ingestTallies(site: query.site, since: from)
    }
}
