import Foundation
import StepwiseCore

/// What an import did, line by line.
public struct ImportSummary: Sendable, Equatable {
    public struct Rejection: Sendable, Equatable {
        public var line: Int
        public var code: String
        public var field: String?
        public var message: String
    }

    public var accepted = 0
    public var duplicates = 0
    public var rejectedCount = 0
    /// The first `EventImporter.detailLimit` rejections, in line order.
    public var rejected: [Rejection] = []

    public init() {}
}

/// Bulk import of canonical events (NDJSON or CSV) through the same validation,
/// enrichment and durable writer as the API. A bad line never aborts the good ones.
///
/// Parsing and writing overlap: while one chunk commits on the writer queue, the next
/// is parsed, so both cores work.
public struct EventImporter: Sendable {
    public static let detailLimit = 1000
    public let store: EventStore
    public var chunkSize = 10_000
    let validator = EventValidator()
    let enricher = EventEnricher()

    public init(store: EventStore) { self.store = store }

    /// Streams NDJSON from a file descriptor (a file, or standard input).
    public func importNDJSON(fileDescriptor: Int32) async throws -> ImportSummary {
        var summary = ImportSummary()
        var pipeline = WritePipeline(store: store)
        var chunk: [EnrichedEvent] = []
        chunk.reserveCapacity(chunkSize)
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        var lineNumber = 0
        var carry: [UInt8] = []
        let bufferSize = 1 << 22
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        var finished = false
        while !finished {
            let count = read(fileDescriptor, buffer.baseAddress, bufferSize)
            if count < 0 { throw StoreError("reading the import failed: \(String(cString: strerror(errno)))") }
            if count == 0 { finished = true }
            var bytes = carry
            carry = []
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[0..<max(count, 0)]))
            // Parse this buffer's complete lines synchronously, then hand them to the writer.
            let results = bytes.withUnsafeBufferPointer { all -> [(Int, Result<CanonicalEvent, EventRejection>)] in
                var results: [(Int, Result<CanonicalEvent, EventRejection>)] = []
                var start = 0
                for index in 0..<all.count where all[index] == 0x0A {
                    lineNumber += 1
                    if let result = parse(line: UnsafeBufferPointer(rebasing: all[start..<index]), now: now) { results.append((lineNumber, result)) }
                    start = index + 1
                }
                if finished, start < all.count {
                    lineNumber += 1
                    if let result = parse(line: UnsafeBufferPointer(rebasing: all[start..<all.count]), now: now) { results.append((lineNumber, result)) }
                } else if start < all.count {
                    carry = Array(all[start..<all.count])
                }
                return results
            }
            for (number, result) in results {
                try await collect(result, line: number, now: now, chunk: &chunk, summary: &summary, pipeline: &pipeline)
            }
        }
        try await pipeline.submit(chunk, summary: &summary)
        try await pipeline.finish(summary: &summary)
        return summary
    }

    /// One NDJSON line's event or rejection; nil for a blank line.
    private func parse(line: UnsafeBufferPointer<UInt8>, now: Int64) -> Result<CanonicalEvent, EventRejection>? {
        var line = line
        if line.last == 0x0D { line = UnsafeBufferPointer(rebasing: line.dropLast()) }
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return nil }
        do {
            return validator.validate(try JSONParser.parse(buffer: line), now: now)
        } catch {
            return .failure(EventRejection(.invalidJSON, field: nil, error.description))
        }
    }

    /// Imports CSV text with a header naming canonical fields.
    public func importCSV(_ text: String) async throws -> ImportSummary {
        let records: [CSVReader.Record]
        do {
            records = try CSVReader.records(text)
        } catch {
            throw StoreError("CSV \(error)")
        }
        guard let header = records.first else { return ImportSummary() }
        let mapper: CSVEventMapper
        do {
            mapper = try CSVEventMapper(header: header.fields)
        } catch {
            throw StoreError("CSV line \(header.line): \(error.description)")
        }
        var summary = ImportSummary()
        var pipeline = WritePipeline(store: store)
        var chunk: [EnrichedEvent] = []
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        for record in records.dropFirst() {
            let result = mapper.object(record.fields).flatMap { validator.validate($0, now: now) }
            try await collect(result, line: record.line, now: now, chunk: &chunk, summary: &summary, pipeline: &pipeline)
        }
        try await pipeline.submit(chunk, summary: &summary)
        try await pipeline.finish(summary: &summary)
        return summary
    }

    private func collect(
        _ result: Result<CanonicalEvent, EventRejection>, line: Int, now: Int64, chunk: inout [EnrichedEvent],
        summary: inout ImportSummary, pipeline: inout WritePipeline
    ) async throws {
        switch result {
        case .success(let event):
            chunk.append(enricher.enrich(event))
            if chunk.count >= chunkSize {
                try await pipeline.submit(chunk, summary: &summary)
                chunk.removeAll(keepingCapacity: true)
            }
        case .failure(let rejection):
            summary.rejectedCount += 1
            if summary.rejected.count < Self.detailLimit {
                summary.rejected.append(.init(line: line, code: rejection.code.rawValue, field: rejection.field, message: rejection.message))
            }
        }
    }
}

/// At most one chunk committing while the next one is parsed.
struct WritePipeline {
    let store: EventStore
    var inFlight: Task<[AppendOutcome], any Error>?

    init(store: EventStore) { self.store = store }

    mutating func submit(_ chunk: [EnrichedEvent], summary: inout ImportSummary) async throws {
        try await finish(summary: &summary)
        guard !chunk.isEmpty else { return }
        let store = store
        inFlight = Task { try await store.append(chunk) }
    }

    mutating func finish(summary: inout ImportSummary) async throws {
        guard let task = inFlight else { return }
        inFlight = nil
        let outcomes = try await task.value
        let duplicates = outcomes.count { $0 == .duplicate }
        summary.duplicates += duplicates
        summary.accepted += outcomes.count - duplicates
    }
}
