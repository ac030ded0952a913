import Foundation
import StepwiseCore
import StepwiseDemo

/// Writes a demo site into the store through the ingest path and records its ground truth
/// and its tracking plan.
public struct DemoWriter: Sendable {
    public let store: EventStore

    public init(store: EventStore) { self.store = store }

    public func write(profile: DemoSiteProfile, seed: UInt64, visitors: Int, end: Int64) async throws -> DemoGroundTruth {
        let enricher = EventEnricher()
        var pipeline = WritePipeline(store: store)
        var summary = ImportSummary()
        var chunk: [EnrichedEvent] = []
        var events: [CanonicalEvent] = []
        let truth = DemoGenerator(profile: profile, seed: seed, visitors: visitors, end: end).generate { events.append($0) }
        for event in events {
            chunk.append(enricher.enrich(event))
            if chunk.count >= 10_000 {
                try await pipeline.submit(chunk, summary: &summary)
                chunk.removeAll(keepingCapacity: true)
            }
        }
        try await pipeline.submit(chunk, summary: &summary)
        try await pipeline.finish(summary: &summary)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try store.setMetadata("ground_truth:\(profile.site)", String(decoding: try encoder.encode(truth), as: UTF8.self))
        try store.setPlanText(profile.planYAML, site: profile.site)
        return truth
    }

    /// The recorded ground truth of a demo site, if it was generated into this store.
    public func groundTruth(site: String) throws -> DemoGroundTruth? {
        guard let text = try store.metadata("ground_truth:\(site)") else { return nil }
        return try JSONDecoder().decode(DemoGroundTruth.self, from: Data(text.utf8))
    }
}
