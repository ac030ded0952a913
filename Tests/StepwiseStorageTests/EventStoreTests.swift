import Foundation
import Testing
import StepwiseCore
import StepwiseEngine
@testable import StepwiseStorage

@Suite struct EventStoreTests {
    let enricher = EventEnricher()
    let origin: Int64 = 1_793_614_503_120

    func event(_ name: String, visitor: String, site: String = "s", id: String? = nil, user: String? = nil, minute: Int = 0) -> EnrichedEvent {
        enricher.enrich(CanonicalEvent(id: id, site: site, name: name, visitor: visitor, user: user,
                                       timestamp: origin + Int64(minute) * 60_000, url: "https://\(site)/p?gclid=x",
                                       props: JSONObject(keys: ["k"], values: [.number(1)]), userAgent: "Mozilla/5.0 (Windows NT 10.0) Chrome/120.0"))
    }

    func counts(_ store: EventStore, site: String = "s") -> [String: [Int]] {
        let report = EventCounter.count(EventCountsQuery(site: site), in: store.live.snapshot())
        return Dictionary(uniqueKeysWithValues: report.events.map { ($0.event, [$0.events, $0.persons, $0.sessions]) })
    }

    @Test func aRepeatedIdIsStoredOncePerSite() async throws {
        let dir = TemporaryDirectory()
        let store = try EventStore(path: dir.path("s.db"))
        let first = try await store.append([event("a", visitor: "v", id: "e1"), event("a", visitor: "v", id: "e1"), event("a", visitor: "v")])
        #expect(first == [.stored, .duplicate, .stored])
        let retry = try await store.append([event("a", visitor: "v", id: "e1"), event("a", visitor: "v", site: "other", id: "e1")])
        #expect(retry == [.duplicate, .stored])
        #expect(try store.eventCount() == 3)
        #expect(counts(store)["a"] == [2, 1, 1])
    }

    @Test func reopeningTheStoreRebuildsTheSameEngineTable() async throws {
        let dir = TemporaryDirectory()
        let path = dir.path("s.db")
        var expected: [String: [Int]] = [:]
        do {
            let store = try EventStore(path: path)
            for minute in stride(from: 0, to: 200, by: 7) {
                _ = try await store.append([event(minute % 2 == 0 ? "pageview" : "cta_click", visitor: "v\(minute % 5)", minute: minute)])
            }
            expected = counts(store)
        }
        let reopened = try EventStore(path: path)
        #expect(counts(reopened) == expected)
        #expect(!expected.isEmpty)
    }

    @Test func identifyIsRetroactiveAndSurvivesARestart() async throws {
        let dir = TemporaryDirectory()
        let path = dir.path("s.db")
        do {
            let store = try EventStore(path: path)
            _ = try await store.append([event("pageview", visitor: "phone", minute: 0), event("pageview", visitor: "laptop", minute: 300)])
            #expect(counts(store)["pageview"] == [2, 2, 2])
            try await store.identify(site: "s", visitor: "phone", user: "u1")
            // An event's own user field links its visitor too.
            _ = try await store.append([event("purchase", visitor: "laptop", user: "u1", minute: 301)])
            #expect(counts(store)["pageview"] == [2, 1, 2])
        }
        let reopened = try EventStore(path: path)
        #expect(counts(reopened)["pageview"] == [2, 1, 2])
        #expect(counts(reopened)["purchase"] == [1, 1, 1])
    }

    @Test func concurrentAppendsShareGroupCommitsAndAllArrive() async throws {
        let dir = TemporaryDirectory()
        let store = try EventStore(path: dir.path("s.db"))
        try await withThrowingTaskGroup(of: [AppendOutcome].self) { group in
            for i in 0..<200 {
                group.addTask { try await store.append([self.event("e", visitor: "v\(i)", id: "id\(i)")]) }
            }
            for try await outcome in group { #expect(outcome == [.stored]) }
        }
        #expect(try store.eventCount() == 200)
        #expect(store.commitStatistics.commits < 200)
        #expect(counts(store)["e"] == [200, 200, 200])
    }

    @Test func storesTheCanonicalFieldsForExport() async throws {
        let dir = TemporaryDirectory()
        let store = try EventStore(path: dir.path("s.db"))
        let original = CanonicalEvent(id: "x1", site: "s", name: "purchase", visitor: "v", user: "u", timestamp: origin,
                                      url: "https://s/checkout", referrer: "https://google.com/",
                                      props: JSONObject(keys: ["items", "coupon"], values: [.number(2), .string("X")]),
                                      revenue: Revenue(amount: 49.5, currency: "AUD"), userAgent: "curl/8", timezone: "Australia/Sydney")
        _ = try await store.append([enricher.enrich(original)])
        #expect(try store.canonicalEvents(site: "s") == [original])
    }

    @Test func aFailedCommitAcknowledgesNothing() async throws {
        let dir = TemporaryDirectory()
        let path = dir.path("s.db")
        let store = try EventStore(path: path)
        _ = try await store.append([event("a", visitor: "v")])
        try await store.pool.write { db in try db.execute(sql: "CREATE TRIGGER refuse BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'disk says no'); END") }
        await #expect(throws: StoreError.self) { try await store.append([self.event("b", visitor: "v2"), self.event("c", visitor: "v3")]) }
        #expect(try store.eventCount() == 1)
        #expect(counts(store)["b"] == nil)
        #expect(store.commitStatistics.failures == 1)
        // The rolled-back visitor ids must not leak into later commits.
        try await store.pool.write { db in try db.execute(sql: "DROP TRIGGER refuse") }
        #expect(try await store.append([event("b", visitor: "v2")]) == [.stored])
        #expect(counts(store)["b"] == [1, 1, 1])
    }
}
