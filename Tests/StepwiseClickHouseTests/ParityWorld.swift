import Foundation
import StepwiseClickHouse
import StepwiseCore
import StepwiseEngine
import StepwiseStorage

/// The same events, in the same order, in the embedded store and in a ClickHouse database
/// of their own: what the parity suite asks both backends about.
final class ParityWorld {
    enum Input {
        case events([CanonicalEvent])
        case identify(site: String, visitor: String, user: String)
    }

    let directory: URL
    let store: EventStore
    let embedded: EngineBackend
    let clickhouse: ClickHouseBackend
    let writer: ClickHouseEventWriter

    /// `server`: one ClickHouse, or the two-shard cluster (`ClickHouseServer.cluster`).
    init(_ name: String, _ inputs: [Input], on server: ClickHouseServer = .shared) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("stepwise-parity-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        store = try EventStore(path: directory.appendingPathComponent("stepwise.db").path)
        embedded = EngineBackend(live: store.live, directory: store)
        let client = ClickHouseClient(try server.endpoint(name))
        let schema = try await server.createSchema(client)
        var limits = ClickHouseEventWriter.Limits()
        limits.maxDelay = .milliseconds(5)
        writer = ClickHouseEventWriter(client: client, spoolPath: directory.appendingPathComponent("spool").path, limits: limits)
        clickhouse = ClickHouseBackend(client: client, cluster: schema.cluster)
        let enricher = EventEnricher()
        for input in inputs {
            switch input {
            case .events(let events):
                for start in stride(from: 0, to: events.count, by: 10_000) {
                    let chunk = events[start..<min(events.count, start + 10_000)].map(enricher.enrich)
                    let received: Int64 = 1_800_000_000_000
                    _ = try await store.append(chunk, received: received)
                    _ = try await writer.append(chunk, received: received)
                }
            case .identify(let site, let visitor, let user):
                try await store.identify(site: site, visitor: visitor, user: user)
                try await writer.identify(site: site, visitor: visitor, user: user)
            }
        }
        // A batch ClickHouse refused would be spooled and acknowledged: here that is a failure.
        if writer.stats.spooled > 0 { throw Spooled(description: "\(writer.stats.spooled) rows went to the spool: ClickHouse refused them") }
    }

    struct Spooled: Error, CustomStringConvertible {
        var description: String
    }

    deinit { try? FileManager.default.removeItem(at: directory) }
}
