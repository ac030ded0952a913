import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import StepwiseCore
import StepwiseDemo
import StepwiseServer

/// Bad input never crashes or corrupts: seeded random mutations of valid bodies (byte flips,
/// cuts, repeats, JSON tokens, deep nesting, odd escapes) sent to every ingest endpoint over
/// real HTTP. Each answer is a 2xx or a 4xx, never a 5xx; the server keeps answering; and what
/// was stored reads back as valid events. The seed is fixed: a failure replays exactly.
@Suite struct MutationFuzzTests {
    /// Seeded mutations of a valid body.
    struct Mutator {
        var random: SeededRandom

        static let tokens: [String] = [
            "\"", "{", "}", "[", "]", ",", ":", "\\", "\\u", "\\ud800", "\\u0000", "null", "true", "1e999", "-0", "0.0000001e-400",
            "\u{0}", "\u{7f}", "é", "😀", "\u{FEFF}", String(repeating: "[", count: 600), String(repeating: "{\"a\":", count: 300),
            String(repeating: "x", count: 70_000), "\"timestamp\":\"9999-99-99T99:99:99Z\"", "\"event\":\"\"", "\"props\":{\"k\":[1,{}]}",
            "\"revenue\":-1e308", "\"site\":\"../../etc\"", "\"visitor\":\"\(String(repeating: "v", count: 300))\"",
        ]

        mutating func mutate(_ seed: String) -> [UInt8] {
            var bytes = Array(seed.utf8)
            for _ in 0...random.below(4) {
                let at = random.below(bytes.count + 1)
                switch random.below(6) {
                case 0 where !bytes.isEmpty: bytes[min(at, bytes.count - 1)] ^= UInt8(1 << random.below(8))
                case 1: bytes.removeSubrange(at..<min(bytes.count, at + random.below(12) + 1))
                case 2: bytes.insert(contentsOf: Array(Self.tokens[random.below(Self.tokens.count)].utf8), at: at)
                case 3 where at < bytes.count: bytes.insert(contentsOf: bytes[at..<min(bytes.count, at + random.below(40) + 1)], at: at)
                case 4: bytes = Array(bytes.prefix(at))
                default: bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: at)
                }
            }
            return bytes
        }
    }

    static let ga4 = "measurement_id=G-FUZZ1&api_secret=fuzz-secret"
    static let segmentAuth: HTTPFields = [.authorization: "Basic " + Data("seg-fuzz-key:".utf8).base64EncodedString(), .contentType: "application/json"]

    /// Each endpoint and a valid body to start from.
    static let targets: [(uri: String, headers: HTTPFields, seed: String)] = [
        ("/api/v1/events", [.contentType: "application/json"], #"{"batch":[{"site":"shop.example","event":"cta_click","visitor":"v1","url":"https://shop.example/p?utm_source=x","props":{"plan":"pro","n":3},"revenue":12.5,"currency":"EUR"},{"site":"shop.example","event":"pageview","visitor":"v2"}]}"#),
        ("/api/v1/events", [.contentType: "application/json"], #"{"site":"shop.example","event":"signup","visitor":"v3","user":"u3","timestamp":"2026-11-20T10:00:00Z"}"#),
        ("/api/v1/identify", [.contentType: "application/json"], #"{"site":"shop.example","visitor":"v1","user":"u1"}"#),
        ("/api/event", [.contentType: "application/json", .userAgent: "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0"], #"{"domain":"shop.example","name":"pageview","url":"https://shop.example/a","referrer":"https://news.example/","props":{"plan":"pro"},"revenue":{"currency":"USD","amount":"9.99"}}"#),
        ("/v1/batch", segmentAuth, #"{"batch":[{"type":"track","event":"Order Completed","anonymousId":"a1","messageId":"m1","properties":{"total":3},"timestamp":"2026-11-20T10:00:00Z"},{"type":"page","name":"Home","userId":"u9","messageId":"m2"},{"type":"identify","anonymousId":"a1","userId":"u9"}]}"#),
        ("/v1/track", segmentAuth, #"{"event":"Signed Up","userId":"u7","properties":{"plan":"pro"},"context":{"page":{"url":"https://shop.example/x"}}}"#),
        ("/mp/collect?\(ga4)", [.contentType: "application/json"], #"{"client_id":"123.456","user_id":"u5","events":[{"name":"purchase","params":{"value":9.5,"currency":"EUR","transaction_id":"t1"}},{"name":"page_view","params":{"page_location":"https://shop.example/"}}]}"#),
        ("/debug/mp/collect?\(ga4)", [.contentType: "application/json"], #"{"client_id":"123.456","events":[{"name":"add_to_cart","params":{"items":[{"item_id":"sku"}]}}]}"#),
    ]

    @Test func mutatedBodiesGetA2xxOrA4xxAndNeverCorruptTheStore() async throws {
        let fixture = try ServerFixture()
        let store = fixture.store
        try await fixture.run { client in
            let site = #"{"name":"shop.example","segment_write_key":"seg-fuzz-key","ga4_measurement_id":"G-FUZZ1","ga4_api_secret":"fuzz-secret"}"#
            #expect(try await client.execute(uri: "/api/v1/sites", method: .post, body: body(site)).status == .created)
            var mutator = Mutator(random: SeededRandom(seed: 20_261_123))
            var statuses: [Int: Int] = [:]
            for target in Self.targets {
                // The seed itself is accepted: the mutations start from valid input.
                let valid = try await client.execute(uri: target.uri, method: .post, headers: target.headers, body: body(target.seed))
                #expect((200..<300).contains(valid.status.code), "\(target.uri) seed: \(valid.status) \(String(buffer: valid.body))")
                for round in 0..<600 {
                    let bytes = mutator.mutate(target.seed)
                    let response = try await client.execute(uri: target.uri, method: .post, headers: target.headers, body: ByteBuffer(bytes: bytes))
                    statuses[response.status.code, default: 0] += 1
                    #expect(response.status.code < 500, "\(target.uri) case \(round): \(response.status) for \(String(decoding: bytes, as: UTF8.self).prefix(300))")
                }
            }
            // Both kinds of answer were exercised, and the server still works.
            #expect(statuses.keys.contains { $0 >= 400 } && statuses.keys.contains { $0 < 300 }, "\(statuses)")
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/api/v1/sites/shop.example/events", method: .get).status == .ok)
        }
        // Whatever was stored reads back whole: valid names, sites, timestamps.
        let events = try store.canonicalEvents(site: "shop.example")
        #expect(events.count >= Self.targets.count - 2)
        for event in events {
            #expect(!event.name.isEmpty && event.name.utf8.count <= 200 && event.site == "shop.example")
        }
    }
}
