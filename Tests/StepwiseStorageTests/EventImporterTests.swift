import Foundation
import Testing
import StepwiseCore
import StepwiseEngine
@testable import StepwiseStorage

@Suite struct EventImporterTests {
    func importNDJSON(_ text: String, into store: EventStore) async throws -> ImportSummary {
        let dir = TemporaryDirectory()
        let file = dir.path("in.ndjson")
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        let fd = open(file, O_RDONLY)
        defer { close(fd) }
        return try await EventImporter(store: store).importNDJSON(fileDescriptor: fd)
    }

    @Test func storesGoodLinesAndReportsBadOnesWithLineNumbers() async throws {
        let dir = TemporaryDirectory()
        let store = try EventStore(path: dir.path("s.db"))
        let text = """
            {"site":"s","event":"pageview","visitor":"v1","timestamp":"2026-11-02T10:00:00Z","id":"a"}
            {"site":"s","event":"pageview","visitor":"v1"
            
            {"site":"s","event":"bad name!","visitor":"v2"}
            {"site":"s","event":"signup","visitor":"v2","timestamp":1793614503120,"id":"b"}
            {"site":"s","event":"pageview","visitor":"v1","timestamp":"2026-11-02T10:00:00Z","id":"a"}
            {"site":"s","event":"signup","visitor":"v3"}
            """
        let summary = try await importNDJSON(text, into: store)
        #expect(summary.accepted == 3)
        #expect(summary.duplicates == 1)
        #expect(summary.rejectedCount == 2)
        #expect(summary.rejected.map(\.line) == [2, 4])
        #expect(summary.rejected.map(\.code) == ["invalid_json", "invalid_event_name"])
        #expect(summary.rejected[1].field == "event")
        #expect(try store.eventCount() == 3)
    }

    @Test func importsChunksLargerThanOneBufferAndOneCommit() async throws {
        let dir = TemporaryDirectory()
        let store = try EventStore(path: dir.path("s.db"))
        var importer = EventImporter(store: store)
        importer.chunkSize = 1000
        let lines = (0..<25_000).map { #"{"site":"s","event":"e\#($0 % 3)","visitor":"v\#($0 % 1000)","timestamp":\#(1_793_614_503_120 + Int64($0) * 1000)}"# }
        let file = dir.path("big.ndjson")
        try lines.joined(separator: "\r\n").write(toFile: file, atomically: true, encoding: .utf8)
        let fd = open(file, O_RDONLY)
        defer { close(fd) }
        let summary = try await importer.importNDJSON(fileDescriptor: fd)
        #expect(summary.accepted == 25_000)
        #expect(summary.rejectedCount == 0)
        #expect(try store.eventCount() == 25_000)
    }

    @Test func importsCSVThroughTheSameValidation() async throws {
        let dir = TemporaryDirectory()
        let store = try EventStore(path: dir.path("s.db"))
        let csv = """
            site,event,visitor,timestamp,url,props.price,revenue,currency
            s,add_to_cart,v1,2026-11-02T10:00:00Z,https://s/product/1,49,,
            s,purchase,v1,2026-11-02T10:05:00Z,"https://s/checkout?a=1,2",,49,AUD
            s,purchase,v2,not-a-time,,,,
            s,,v3,2026-11-02T10:05:00Z,,,,
            """
        let summary = try await EventImporter(store: store).importCSV(csv)
        #expect(summary.accepted == 2)
        #expect(summary.rejected.map(\.line) == [4, 5])
        #expect(summary.rejected.map(\.field) == ["timestamp", "event"])
        let events = try store.canonicalEvents(site: "s")
        #expect(events.map(\.name) == ["add_to_cart", "purchase"])
        #expect(events[0].props["price"] == .number(49))
        #expect(events[1].revenue == Revenue(amount: 49, currency: "AUD"))
        #expect(events[1].url == "https://s/checkout?a=1,2")
    }
}
