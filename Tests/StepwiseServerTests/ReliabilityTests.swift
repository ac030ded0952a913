import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import GRDB
@testable import StepwiseStorage

/// Faults that must lose nothing acknowledged (issue: reliability and security).
@Suite(.serialized) struct ReliabilityTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Reliability/kill_under_load.py").path

    /// Tests/Reliability/kill_under_load.py: 4 concurrent senders, SIGKILL at 5 seeded random
    /// moments, retries with the same ids, then SIGTERM under load.
    @Test func everyAcknowledgedEventSurvivesSIGKILLUnderConcurrentLoadExactlyOnce() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("stepwise-load-kill-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let (status, output) = try await runScript(["python3", Self.script, ServerProcess.binary.path, directory.appendingPathComponent("k.db").path, "5", "20261123"])
        #expect(status == 0, "\(output)")
        #expect(output.contains(#""lost": 0"#) && output.contains(#""stored_twice": 0"#) && output.contains(#""sigterm_exit": 0"#), "\(output)")
    }

    /// A full disk (SQLite's page limit reached) and a read-only database: 503 with Retry-After,
    /// nothing of the refused request stored, nothing stored before it lost, and ingest resumes.
    @Test func aFullDiskOrAReadOnlyDatabaseAnswers503AndLosesNothing() async throws {
        let fixture = try ServerFixture()
        let store = fixture.store
        try await fixture.run { client in
            let first = try await client.execute(uri: "/api/v1/events", method: .post, body: body(#"{"batch":[\#(eventJSON("a", id: "keep-1")),\#(eventJSON("b", id: "keep-2"))]}"#))
            #expect(first.status == .accepted || first.status == .ok)
            let pages = try await store.pool.read { db in try Int.fetchOne(db, sql: "PRAGMA page_count")! }
            let big = (0..<400).map { eventJSON("pageview", visitor: "v\($0)", id: "full-\($0)").replacingOccurrences(of: "}", with: #","url":"https://shop.example/\#(String(repeating: "x", count: 500))/\#($0)"}"#) }
            for (name, fault, undo) in [("full disk", "PRAGMA max_page_count = \(pages)", "PRAGMA max_page_count = 1073741823"),
                                        ("read-only", "PRAGMA query_only = ON", "PRAGMA query_only = OFF")] {
                try await store.pool.writeWithoutTransaction { db in _ = try Row.fetchAll(db, sql: fault) }
                let refused = try await client.execute(uri: "/api/v1/events", method: .post, body: body(#"{"batch":[\#(big.joined(separator: ","))]}"#))
                #expect(refused.status == .serviceUnavailable && refused.headers[.retryAfter] == "1", "\(name): \(refused.status)")
                #expect(refused.json["error"]?["code"]?.string == "storage_unavailable", "\(name)")
                try await store.pool.writeWithoutTransaction { db in _ = try Row.fetchAll(db, sql: undo) }
            }
            // The client retries once the disk has room: stored once, beside what came before.
            let retried = try await client.execute(uri: "/api/v1/events", method: .post, body: body(#"{"batch":[\#(big.joined(separator: ","))]}"#))
            #expect(retried.status == .accepted || retried.status == .ok)
            let counts = try await client.execute(uri: "/api/v1/sites/shop.example/events", method: .get)
            #expect(counts.json["events"]?.count == 3)
        }
        let ids = try store.canonicalEvents(site: "shop.example").compactMap(\.id)
        #expect(ids.count == 402 && Set(ids).count == 402 && ids.contains("keep-1") && ids.contains("keep-2"))
    }
}
