import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing
import StepwiseCore
import StepwiseStorage

/// Runs the real `stepwise` binary: an acknowledged batch must survive `kill -9`.
@Suite(.serialized) struct CrashDurabilityTests {
    @Test func everyAcknowledgedBatchSurvivesKillNine() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("stepwise-kill-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("k.db").path
        var acknowledged = Set<String>()

        for round in 0..<3 {
            let (server, port) = try ServerProcess.start(database: database)
            let client = TestClient(host: "127.0.0.1", port: port)
            client.connect()
            // Fire batches back to back and kill the server right after an acknowledgement,
            // while later batches are still in flight.
            for batch in 0..<20 {
                let ids = (0..<100).map { "r\(round)-b\(batch)-e\($0)" }
                let events = ids.map { #"{"id":"\#($0)","site":"k.example","event":"e","visitor":"v\#(batch)"}"# }
                let response = try await client.post("/api/v1/events", body: ByteBuffer(string: #"{"batch":[\#(events.joined(separator: ","))]}"#))
                #expect(response.status == .accepted)
                acknowledged.formUnion(ids)
            }
            try? await client.executeAndDontWaitForResponse(.init(
                "/api/v1/events", method: .post, headers: [:],
                body: ByteBuffer(string: #"{"batch":[{"id":"inflight-\#(round)","site":"k.example","event":"e","visitor":"x"}]}"#)))
            kill(server.processIdentifier, SIGKILL)
            server.waitUntilExit()
            try? await client.shutdown()
        }

        // Everything acknowledged is there, exactly once; a retry of the same ids adds nothing.
        let store = try EventStore(path: database)
        let stored = try store.canonicalEvents(site: "k.example").compactMap(\.id)
        #expect(Set(stored).isSuperset(of: acknowledged))
        #expect(stored.count == Set(stored).count)
        let (server, port) = try ServerProcess.start(database: database)
        defer { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() }
        let client = TestClient(host: "127.0.0.1", port: port)
        client.connect()
        let retry = try await client.post("/api/v1/events", body: ByteBuffer(string: #"{"batch":[{"id":"r0-b0-e0","site":"k.example","event":"e","visitor":"v0"}]}"#))
        #expect(String(buffer: retry.body ?? ByteBuffer()).contains(#""duplicates":1"#))
        try await client.shutdown()
    }
}
