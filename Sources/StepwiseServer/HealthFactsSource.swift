import StepwiseCore
import StepwiseEngine
import StepwiseStorage

/// Where tracking health's annotations and ingest outcomes are read and written: the node's
/// database, or, scaled out, the store every node shares (away: `503 store_unavailable`).
struct HealthFactsSource: Sendable {
    let store: EventStore
    let shared: (any SharedHealthFacts)?

    func attach(_ query: inout HealthQuery) async throws {
        guard let shared else { return try store.attachHealthFacts(&query) }
        var attached = query
        try await Self.reaching("health") { try await shared.attach(&attached) }
        query = attached
    }

    func annotations(site: String, from: Int64?, to: Int64?) async throws -> [Annotation] {
        guard let shared else { return try store.annotations(site: site, from: from, to: to) }
        return try await Self.reaching("annotations") { try await shared.annotations(site: site, from: from, to: to) }
    }

    func addAnnotation(_ annotation: Annotation) async throws -> Annotation {
        guard let shared else { return try store.addAnnotation(annotation) }
        return try await Self.reaching("annotations") { try await shared.addAnnotation(annotation) }
    }

    private static func reaching<T>(_ report: String, _ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let error as ReportUnavailable { throw error } catch {
            throw ReportUnavailable(report: report, reason: "the shared store could not be reached: \(error)")
        }
    }
}
