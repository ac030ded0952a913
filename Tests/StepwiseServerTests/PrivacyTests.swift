import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import StepwiseCore
import StepwiseServer
import StepwiseStorage

/// Erasure and retention (SPEC §3): gone from SQLite, its file and the engine, and logged.
@Suite struct PrivacyTests {
    static let auth: HTTPFields = [.authorization: "Bearer admin"]

    static func withURL(_ json: String, _ url: String) -> String { json.replacingOccurrences(of: "}", with: #","url":"\#(url)"}"#) }

    @Test func erasingAPersonRemovesEveryTraceAndIsLoggedByHash() async throws {
        let fixture = try ServerFixture()
        try await fixture.run({ $0.adminToken = "admin" }) { client in
            // Ann used two browsers, both identified; her first page's URL carries her email. Bob shares nothing with her.
            let events = [
                Self.withURL(eventJSON("pageview", visitor: "a-laptop", minute: 0), "https://shop.example/welcome?email=ann.secret%40example.com"),
                eventJSON("cta_click", visitor: "a-laptop", minute: 1, user: "ann"),
                eventJSON("pageview", visitor: "a-phone", minute: 2),
                Self.withURL(eventJSON("pageview", visitor: "bob", minute: 3), "https://shop.example/welcome"),
                eventJSON("cta_click", visitor: "bob", minute: 4),
            ]
            let posted = try await client.execute(uri: "/api/v1/events", method: .post, body: body(#"{"batch":[\#(events.joined(separator: ","))]}"#))
            #expect(posted.status == .ok || posted.status == .accepted)
            let identify = try await client.execute(uri: "/api/v1/identify", method: .post, body: body(#"{"site":"shop.example","visitor":"a-phone","user":"ann"}"#))
            #expect(identify.status == .ok)
            let before = try await client.execute(uri: "/api/v1/sites/shop.example/events", method: .get, headers: Self.auth)
            #expect(before.json["events"]?[0]?["persons"]?.int == 2)

            #expect(try await client.execute(uri: "/api/v1/sites/shop.example/persons/ann", method: .delete).status == .unauthorized)
            let ghost = try await client.execute(uri: "/api/v1/sites/shop.example/persons/nobody", method: .delete, headers: Self.auth)
            #expect(ghost.status == .notFound && ghost.json["error"]?["code"]?.string == "unknown_person")

            // Erasing by one of her visitor ids takes the whole person.
            let erased = try await client.execute(uri: "/api/v1/sites/shop.example/persons/a-phone", method: .delete, headers: Self.auth)
            #expect(erased.status == .ok, "\(String(buffer: erased.body))")
            #expect(erased.json["erased"]?["events"]?.int == 3 && erased.json["erased"]?["visitors"]?.int == 2 && erased.json["erased"]?["users"]?.int == 1)
            // The engine forgot her at once: only Bob is counted.
            let after = try await client.execute(uri: "/api/v1/sites/shop.example/events", method: .get, headers: Self.auth)
            for k in 0..<(after.json["events"]?.count ?? 0) { #expect(after.json["events"]?[k]?["persons"]?.int == 1, "\(String(buffer: after.body))") }
            // The log names the erasure by a hash of the id asked for, never the id.
            let log = try await client.execute(uri: "/api/v1/sites/shop.example/erasures", method: .get, headers: Self.auth)
            #expect(log.json["erasures"]?[0]?["person_sha256"]?.string == "2c710b11d8e08f4d63152c725c7dbf4f641314c7e96bfc0e071f2e0d79fbae78" && log.json["erasures"]?[0]?["kind"]?.string == "person")
            #expect(!String(buffer: log.body).contains("a-phone") && !String(buffer: log.body).contains("ann"))

            // The same visitor id may come back as a new person.
            let again = try await client.execute(uri: "/api/v1/events", method: .post, body: body(eventJSON("pageview", visitor: "a-laptop", minute: 9)))
            #expect(again.status == .accepted)
            let back = try await client.execute(uri: "/api/v1/sites/shop.example/events", method: .get, headers: Self.auth)
            let rows = (0..<(back.json["events"]?.count ?? 0)).compactMap { back.json["events"]?[$0] }
            #expect(rows.first { $0["event"]?.string == "pageview" }?["persons"]?.int == 2, "\(String(buffer: back.body))")
        }
        let stored = try fixture.store.canonicalEvents(site: "shop.example")
        #expect(stored.map(\.visitor).sorted() == ["a-laptop", "bob", "bob"] && stored.allSatisfy { $0.user == nil })
        // Not in any file of the database either: rows deleted, pages zeroed, the WAL truncated.
        for file in try FileManager.default.contentsOfDirectory(atPath: fixture.directory.path) {
            let bytes = try Data(contentsOf: fixture.directory.appendingPathComponent(file))
            #expect(bytes.range(of: Data("ann.secret".utf8)) == nil, "\(file) still holds the erased email")
            #expect(bytes.range(of: Data("a-phone".utf8)) == nil, "\(file) still holds an erased visitor id")
        }
    }

    @Test func retentionDeletesOldEventsAndTheIdsOnlyTheyUsed() async throws {
        let fixture = try ServerFixture()
        let store = fixture.store
        try await fixture.run { client in
            let old = -400 * 1440
            let events = [
                Self.withURL(eventJSON("pageview", visitor: "gone", minute: old), "https://shop.example/?ref=old-campaign-7"),
                eventJSON("pageview", visitor: "both", minute: old + 1),
                eventJSON("pageview", visitor: "both", minute: 0),
                eventJSON("pageview", visitor: "new", minute: 1),
            ]
            let posted = try await client.execute(uri: "/api/v1/events", method: .post, body: body(#"{"batch":[\#(events.joined(separator: ","))]}"#))
            #expect(posted.status == .ok || posted.status == .accepted)
            let monitor = RetentionMonitor(store: store, retentionMillis: 395 * 86_400_000)
            let record = try #require(try await monitor.runOnce())
            #expect(record.kind == "retention" && record.events == 2 && record.visitors == 1 && record.personSha256 == nil)
            #expect(try await monitor.runOnce() == nil)   // nothing left that old
            let counts = try await client.execute(uri: "/api/v1/sites/shop.example/events", method: .get)
            #expect(counts.json["events"]?[0]?["events"]?.int == 2 && counts.json["events"]?[0]?["persons"]?.int == 2)
        }
        #expect(try fixture.store.canonicalEvents(site: "shop.example").map(\.visitor).sorted() == ["both", "new"])
        #expect(try fixture.store.erasures().first?.kind == "retention")
        for file in try FileManager.default.contentsOfDirectory(atPath: fixture.directory.path) {
            let bytes = try Data(contentsOf: fixture.directory.appendingPathComponent(file))
            #expect(bytes.range(of: Data("old-campaign-7".utf8)) == nil, "\(file) still holds a pruned URL")
        }
    }
}
