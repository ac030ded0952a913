import HTTPTypes
import HummingbirdTesting
import Testing
@testable import StepwiseStorage

/// When storage cannot commit, the client hears 503 with Retry-After, never a 2xx.
@Suite struct StorageFailureTests {
    @Test func aFailedCommitAnswers503AndStoresNothing() async throws {
        let fixture = try ServerFixture()
        try await fixture.store.pool.write { db in
            try db.execute(sql: "CREATE TRIGGER refuse BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'disk full'); END")
        }
        try await fixture.run { client in
            let response = try await client.execute(uri: "/api/v1/events", method: .post, body: body(#"{"batch":[\#(eventJSON("a")),\#(eventJSON("b"))]}"#))
            #expect(response.status == .serviceUnavailable)
            #expect(response.headers[.retryAfter] == "1")
            #expect(response.json["error"]?["code"]?.string == "storage_unavailable")
            let report = try await client.execute(uri: "/api/v1/sites", method: .get)
            #expect(report.json["sites"]?.count == 0)
        }
        #expect(try fixture.store.eventCount() == 0)
    }
}
