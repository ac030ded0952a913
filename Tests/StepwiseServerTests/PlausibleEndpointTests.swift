import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import StepwiseCore
import StepwiseServer

/// Plausible's `POST /api/event`, answered the way Plausible answers it.
@Suite struct PlausibleEndpointTests {
    static let chrome: HTTPFields = [.userAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
                                     .contentType: "text/plain"]

    @Test func plausibleEventsAreStoredAsCanonicalEvents() async throws {
        let fixture = try ServerFixture()
        try await fixture.run { client in
            let pageview = try await client.execute(uri: "/api/event", method: .post, headers: Self.chrome, body: body(
                #"{"name":"pageview","url":"https://shop.example/pricing?utm_source=news","domain":"shop.example","referrer":"https://www.google.com/"}"#))
            #expect(pageview.status == .accepted && String(buffer: pageview.body) == "ok")
            let custom = try await client.execute(uri: "/api/event", method: .post, headers: Self.chrome, body: body(
                #"{"name":"Signup","url":"https://shop.example/join","domain":"shop.example,shop-eu.example","props":"{\"plan\":\"pro\",\"seats\":3}","revenue":{"currency":"usd","amount":"12.50"},"interactive":false}"#))
            #expect(custom.status == .accepted, "\(String(buffer: custom.body))")

            // Bots are dropped, and said so.
            let bot = try await client.execute(uri: "/api/event", method: .post, headers: [.userAgent: "Mozilla/5.0 (compatible; Googlebot/2.1)"],
                                               body: body(#"{"name":"pageview","url":"https://shop.example/","domain":"shop.example"}"#))
            #expect(bot.status == .accepted && bot.headers[HTTPField.Name("X-Plausible-Dropped")!] == "1")

            let blank = try await client.execute(uri: "/api/event", method: .post, headers: Self.chrome, body: body(#"{"props":{"a":1}}"#))
            #expect(blank.status == .badRequest)
            #expect(blank.json["errors"]?["name"]?[0]?.string == "can't be blank" && blank.json["errors"]?["domain"]?[0]?.string == "can't be blank")
            #expect(blank.json["errors"]?["url"]?[0]?.string == "can't be blank")
            for (text, field) in [(#"{"name":"x","url":"https://s.example/","domain":"s.example","props":{"a":{"b":1}}}"#, "props"),
                                  (#"{"name":"x","url":"not a url","domain":"s.example"}"#, "url"),
                                  (#"{"name":"x","url":"https://s.example/","domain":"s.example","revenue":{"amount":1}}"#, "revenue"),
                                  (#"{"name":"bad<name>","url":"https://s.example/","domain":"s.example"}"#, "name")] {
                let refused = try await client.execute(uri: "/api/event", method: .post, headers: Self.chrome, body: body(text))
                #expect(refused.status == .badRequest && refused.json["errors"]?[field] != nil, "\(text): \(String(buffer: refused.body))")
            }
        }
        let shop = try fixture.store.canonicalEvents(site: "shop.example")
        #expect(shop.map(\.name) == ["pageview", "Signup"])
        #expect(shop[0].visitor.hasPrefix("c") && shop[0].visitor == shop[1].visitor, "one browser, one daily visitor")
        #expect(shop[0].referrer == "https://www.google.com/" && shop[0].url == "https://shop.example/pricing?utm_source=news")
        #expect(shop[1].props["plan"] == .string("pro") && shop[1].props["seats"] == .number(3) && shop[1].props["interactive"] == .bool(false))
        #expect(shop[1].revenue == Revenue(amount: 12.5, currency: "USD"))
        #expect(try fixture.store.canonicalEvents(site: "shop-eu.example").map(\.name) == ["Signup"])
        #expect(try fixture.store.eventCount() == 3)
    }
}
