import Testing
import StepwiseCore

@Suite struct EventBatchDecoderTests {
    let now = Timestamp.parseRFC3339("2026-11-02T12:00:00Z")!

    func decode(_ text: String) -> Result<EventBatchDecoder.Decoded, EventBatchDecoder.RequestError> {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer { EventBatchDecoder().decode(body: $0, now: now, userAgent: "curl/8.0") }
    }

    @Test func keepsGoodEventsAndListsBadOnesByIndex() throws {
        let decoded = try decode(#"{"batch":[{"site":"s","event":"a","visitor":"v"},{"site":"s","visitor":"v"},{"site":"s","event":"c","visitor":"v"}]}"#).get()
        #expect(decoded.isBatch)
        #expect(decoded.events.map(\.index) == [0, 2])
        #expect(decoded.rejected.map(\.index) == [1])
        #expect(decoded.rejected[0].rejection.field == "event")
    }

    @Test func fillsTheUserAgentFromTheRequestHeader() throws {
        let decoded = try decode(#"{"site":"s","event":"a","visitor":"v"}"#).get()
        #expect(!decoded.isBatch)
        #expect(decoded.events[0].event.userAgent == "curl/8.0")
    }

    @Test func refusesOversizedBatchesAndMalformedBodiesWhole() {
        let batch = "{\"batch\":[" + Array(repeating: #"{"site":"s","event":"a","visitor":"v"}"#, count: 1001).joined(separator: ",") + "]}"
        #expect(throws: EventBatchDecoder.RequestError.self) { try decode(batch).get() }
        if case .failure(let error) = decode(batch) { #expect(error.status == 413 && error.code == .batchTooLarge) }
        if case .failure(let error) = decode(#"{"batch":[{"site":"s"}"#) { #expect(error.status == 400 && error.code == .invalidJSON) }
        if case .failure(let error) = decode(#"[1,2]"#) { #expect(error.code == .invalidBody) }
        if case .failure(let error) = decode(#"{"batch":{}}"#) { #expect(error.code == .invalidBody) }
        let exactly1000 = "{\"batch\":[" + Array(repeating: #"{"site":"s","event":"a","visitor":"v"}"#, count: 1000).joined(separator: ",") + "]}"
        #expect((try? decode(exactly1000).get())?.events.count == 1000)
    }
}
