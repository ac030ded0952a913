import StepwiseCore

/// Where accepted events go: the embedded store, or ClickHouse through its batching writer.
/// Either acknowledges only once what it was given is durable.
public protocol EventSink: Sendable {
    /// Outcomes are in input order; throws when nothing of the call could be made durable.
    func append(_ events: [EnrichedEvent], received: Int64) async throws -> [AppendOutcome]
    /// Links a visitor to a user, retroactively for its earlier events.
    func identify(site: String, visitor: String, user: String) async throws
}

extension EventStore: EventSink {}
