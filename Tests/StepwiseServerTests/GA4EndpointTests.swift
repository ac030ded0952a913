import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import StepwiseCore
import StepwiseServer

/// The GA4 Measurement Protocol: the real `ga4mp` package, `/mp/collect`'s 2xx for every hit,
/// and `/debug/mp/collect`'s validation messages.
@Suite struct GA4EndpointTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Clients/ga4_client.py").path
    static let site = #"{"name":"shop.example","ga4_measurement_id":"G-TEST1","ga4_api_secret":"secret-0123"}"#
    static let collect = "/mp/collect?measurement_id=G-TEST1&api_secret=secret-0123"
    static let debug = "/debug/mp/collect?measurement_id=G-TEST1&api_secret=secret-0123"

    @Test func ga4mpHitsAreStoredAsCanonicalEvents() async throws {
        let fixture = try ServerFixture()
        try await fixture.run { client in
            #expect(try await client.execute(uri: "/api/v1/sites", method: .post, body: body(Self.site)).status == .created)
            let (status, text) = try await runScript(["python3", Self.script, String(try #require(client.port)), "G-TEST1", "secret-0123"])
            #expect(status == 0, "\(text)")
        }
        let events = try fixture.store.canonicalEvents(site: "shop.example")
        try #require(events.map(\.name) == ["pageview", "purchase"])
        #expect(events[0].url == "https://shop.example/pricing?utm_source=news" && events.allSatisfy { $0.visitor == "555.123" })
        #expect(events[1].revenue == Revenue(amount: 49.5, currency: "EUR") && events[1].props["transaction_id"] == .string("T-1"))
        #expect(events[0].props["session_id"] != nil && events[0].props["engagement_time_msec"] != nil, "ga4mp's own params arrive")
    }

    @Test func collectAnswers2xxToEveryHitAndDebugSaysWhy() async throws {
        let fixture = try ServerFixture()
        try await fixture.run { client in
            _ = try await client.execute(uri: "/api/v1/sites", method: .post, body: body(Self.site))
            let cases: [(String, String, String, String)] = [
                (Self.debug, #"{"events":[{"name":"x"}]}"#, "client_id", "VALUE_REQUIRED"),
                (Self.debug, #"{"client_id":"1","timestamp_micros":1e300,"events":[{"name":"ok"}]}"#, "timestamp_micros", "VALUE_INVALID"),
                (Self.debug, #"{"client_id":"1","events":[{"name":"1st_event"}]}"#, "events[0].name", "NAME_INVALID"),
                (Self.debug, #"{"client_id":"1","events":[{"name":"session_start"}]}"#, "events[0].name", "NAME_RESERVED"),
                (Self.debug, #"{"client_id":"1","events":[{"name":"ga_thing"}]}"#, "events[0].name", "NAME_RESERVED"),
                (Self.debug, #"{"client_id":"1","events":[{"name":"\#(String(repeating: "e", count: 41))"}]}"#, "events[0].name", "VALUE_OUT_OF_BOUNDS"),
                (Self.debug, #"{"client_id":"1","events":[{"name":"ok","params":{"p":"\#(String(repeating: "v", count: 101))"}}]}"#, "events[0].params.p", "VALUE_OUT_OF_BOUNDS"),
                (Self.debug, #"{"client_id":"1","events":[{"name":"ok","params":{"p":{"nested":1}}}]}"#, "events[0].params.p", "VALUE_INVALID"),
                (Self.debug, #"{"client_id":"1","events":[\#(Array(repeating: #"{"name":"ok"}"#, count: 26).joined(separator: ","))]}"#, "events", "EXCEEDED_MAX_ENTITIES"),
                ("/debug/mp/collect?measurement_id=G-TEST1&api_secret=wrong", #"{"client_id":"1","events":[{"name":"ok"}]}"#, "api_secret", "VALUE_INVALID"),
                ("/debug/mp/collect?api_secret=secret-0123", #"{"client_id":"1","events":[{"name":"ok"}]}"#, "measurement_id", "VALUE_REQUIRED"),
            ]
            for (uri, text, path, code) in cases {
                let checked = try await client.execute(uri: uri, method: .post, body: body(text))
                #expect(checked.status == .ok)
                let first = checked.json["validationMessages"]?[0]
                #expect(first?["fieldPath"]?.string == path && first?["validationCode"]?.string == code, "\(text): \(String(buffer: checked.body))")
                // The same hit on /mp/collect: a 2xx, and nothing stored.
                let collected = try await client.execute(uri: uri.replacingOccurrences(of: "/debug", with: ""), method: .post, body: body(text))
                #expect(collected.status == .noContent)
            }
            let valid = try await client.execute(uri: Self.debug, method: .post, body: body(#"{"client_id":"1","events":[{"name":"sign_up","params":{"method":"email"}}]}"#))
            #expect(valid.json["validationMessages"]?.count == 0 && String(buffer: valid.body) == #"{"validationMessages":[]}"#)
            let stored = try await client.execute(uri: Self.collect, method: .post, body: body(#"{"client_id":"1","user_id":"u-9","events":[{"name":"sign_up","params":{"method":"email"}}]}"#))
            #expect(stored.status == .noContent)
        }
        let events = try fixture.store.canonicalEvents(site: "shop.example")
        #expect(events.map(\.name) == ["sign_up"] && events[0].user == "u-9" && events[0].props["method"] == .string("email"))
    }
}
