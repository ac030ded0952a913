import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import StepwiseCore
import StepwiseServer

/// Segment's HTTP Tracking API, fed by the real Segment and RudderStack Python SDKs
/// (Tests/Clients/sdk_clients.py) and by hand for what they never send.
@Suite struct SegmentEndpointTests {
    static let key = "seg-key-0123456789"
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Clients/sdk_clients.py").path
    static var basic: HTTPFields { [.authorization: "Basic " + Data("\(key):".utf8).base64EncodedString()] }

    @Test func segmentAndRudderSDKsSendUnchangedButForTheHost() async throws {
        let fixture = try ServerFixture()
        try await fixture.run({ $0.openSites = false }) { client in
            let added = try await client.execute(uri: "/api/v1/sites", method: .post,
                                                 body: body(#"{"name":"shop.example","segment_write_key":"\#(Self.key)"}"#))
            #expect(added.status == .created)
            let port = try #require(client.port)
            let (status, text) = try await runScript(["python3", Self.script, String(port), Self.key])
            #expect(status == 0, "\(text)")
        }
        let events = try fixture.store.canonicalEvents(site: "shop.example")
        try #require(events.map(\.name) == ["pageview", "Signed Up", "Added To Cart"], "the retried messageId is stored once")
        let page = events[0], signup = events[1], cart = events[2]
        #expect(page.url == "https://shop.example/pricing?utm_source=news" && page.referrer == "https://www.google.com/")
        #expect(page.props["page_name"] == .string("Pricing") && page.timezone == "Europe/Berlin" && page.userAgent?.contains("iPhone") == true)
        #expect(signup.id == "seg-1" && signup.props["plan"] == .string("pro") && signup.props["seats"] == .number(3))
        #expect(signup.props["meta.source"] == .string("ads") && signup.props["tags"] == .string(#"["a","b"]"#))
        #expect(cart.revenue == Revenue(amount: 49.5, currency: "EUR") && cart.props["sku"] == .string("X-1") && cart.visitor == "anon-2")
        // identify linked anon-1 to u-1: one person.
        let table = fixture.store.live.snapshot()
        let siteID = try #require(table.siteID("shop.example"))
        let site = try #require(table.sitePersons[siteID])
        #expect(site.count == 2)
    }

    @Test func badCallsAreRefusedWholeTheWaySegmentRefusesThem() async throws {
        let fixture = try ServerFixture()
        try await fixture.run { client in
            _ = try await client.execute(uri: "/api/v1/sites", method: .post, body: body(#"{"name":"shop.example","segment_write_key":"\#(Self.key)"}"#))
            let wrong = try await client.execute(uri: "/v1/track", method: .post, headers: [.authorization: "Basic " + Data("nope:".utf8).base64EncodedString()],
                                                 body: body(#"{"userId":"u","event":"x"}"#))
            #expect(wrong.status == .unauthorized && wrong.json["success"] == .bool(false))
            let inBody = try await client.execute(uri: "/v1/track", method: .post, body: body(#"{"writeKey":"\#(Self.key)","userId":"u","event":"Viewed"}"#))
            #expect(inBody.status == .ok && inBody.json["success"] == .bool(true))
            for (uri, text, words) in [
                ("/v1/track", #"{"userId":"u"}"#, "event is required"),
                ("/v1/track", #"{"event":"x"}"#, "userId or anonymousId is required"),
                ("/v1/batch", #"{"batch":[{"type":"track","userId":"u","event":"ok"},{"type":"track","userId":"u"}]}"#, "batch[1]: event is required"),
                ("/v1/batch", #"{"batch":[{"type":"track","userId":"u","event":"ok","timestamp":"yesterday"}]}"#, "batch[0]: timestamp"),
                ("/v1/track", "[1]", "JSON object"),
            ] {
                let refused = try await client.execute(uri: uri, method: .post, headers: Self.basic, body: body(text))
                #expect(refused.status == .badRequest && refused.json["message"]?.string?.contains(words) == true, "\(text): \(String(buffer: refused.body))")
            }
            let big = String(repeating: "x", count: 33 << 10)
            let oversized = try await client.execute(uri: "/v1/track", method: .post, headers: Self.basic, body: body(#"{"userId":"u","event":"x","properties":{"p":"\#(big)"}}"#))
            #expect(oversized.status == .badRequest)
            let deflate = try await client.execute(uri: "/v1/track", method: .post, headers: Self.basic + [.contentEncoding: "br"], body: body("{}"))
            #expect(deflate.status == .unsupportedMediaType)
        }
        // Only the one good call was stored: refused batches left nothing behind.
        #expect(try fixture.store.canonicalEvents(site: "shop.example").map(\.name) == ["Viewed"])
    }
}

extension HTTPFields {
    static func + (a: HTTPFields, b: HTTPFields) -> HTTPFields { var c = a; c.append(contentsOf: b); return c }
}
