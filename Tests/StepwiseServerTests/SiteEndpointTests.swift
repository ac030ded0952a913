import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import StepwiseCore
import StepwiseServer

/// Registered sites: a closed server accepts only them, with their keys and origins.
@Suite struct SiteEndpointTests {
    static let auth: HTTPFields = [.authorization: "Bearer admin"]

    @Test func aClosedServerAcceptsOnlyRegisteredSitesWithTheirKeysAndOrigins() async throws {
        let fixture = try ServerFixture()
        try await fixture.run({ $0.adminToken = "admin"; $0.openSites = false }) { client in
            let unknown = try await client.execute(uri: "/api/v1/events", method: .post, body: body(eventJSON("pageview", site: "shop.example")))
            #expect(unknown.status == .badRequest && unknown.json["error"]?["code"]?.string == "unknown_site", "\(String(buffer: unknown.body))")

            for (text, field) in [(#"{"name":"bad name"}"#, "name"), (#"{"name":"shop.example","timezone":"Mars/Base"}"#, "timezone"),
                                  (#"{"name":"shop.example","origins":["shop.example"]}"#, "origins"), (#"{"name":"shop.example","write_key":"short"}"#, "write_key"),
                                  (#"{"name":"shop.example","colour":"red"}"#, "colour"), (#"{"name":"shop.example","ga4_measurement_id":"G-1"}"#, "ga4_measurement_id")] {
                let refused = try await client.execute(uri: "/api/v1/sites", method: .post, headers: Self.auth, body: body(text))
                #expect(refused.status == .badRequest && refused.json["error"]?["field"]?.string == field, "\(text): \(String(buffer: refused.body))")
            }
            let anonymous = try await client.execute(uri: "/api/v1/sites", method: .post, body: body(#"{"name":"shop.example"}"#))
            #expect(anonymous.status == .unauthorized)
            let added = try await client.execute(uri: "/api/v1/sites", method: .post, headers: Self.auth, body: body(
                #"{"name":"shop.example","timezone":"Europe/Berlin","origins":["https://shop.example"],"write_key":"k-0123456789"}"#))
            #expect(added.status == .created && added.json["write_key"] == .bool(true), "\(String(buffer: added.body))")
            let again = try await client.execute(uri: "/api/v1/sites", method: .post, headers: Self.auth, body: body(#"{"name":"shop.example"}"#))
            #expect(again.status == .conflict)

            // Its key is required; a batch keeps its good events and refuses the other site's.
            let keyless = try await client.execute(uri: "/api/v1/events", method: .post, body: body(eventJSON("pageview", site: "shop.example")))
            #expect(keyless.status == .unauthorized)
            let batch = try await client.execute(uri: "/api/v1/events", method: .post, headers: [HTTPField.Name("X-Stepwise-Key")!: "k-0123456789"],
                                                 body: body(#"{"batch":[\#(eventJSON("pageview", site: "shop.example")),\#(eventJSON("pageview", site: "typo.example"))]}"#))
            #expect(batch.status == .accepted && batch.json["accepted"]?.int == 1, "\(String(buffer: batch.body))")
            #expect(batch.json["rejected"]?[0]?["index"]?.int == 1 && batch.json["rejected"]?[0]?["code"]?.string == "unknown_site")

            // Browsers on its origin may send; others may not.
            let preflight = try await client.execute(uri: "/api/v1/events", method: .options, headers: [.origin: "https://shop.example"])
            #expect(preflight.status == .noContent && preflight.headers[.accessControlAllowOrigin] == "https://shop.example")
            let stranger = try await client.execute(uri: "/api/v1/events", method: .options, headers: [.origin: "https://evil.example"])
            #expect(stranger.status == .forbidden)

            let listed = try await client.execute(uri: "/api/v1/sites", method: .get, headers: Self.auth)
            #expect(listed.json["registered"]?[0]?["name"]?.string == "shop.example" && listed.json["open"] == .bool(false))
            #expect(!String(buffer: listed.body).contains("k-0123456789"), "secrets are never listed")
            let removed = try await client.execute(uri: "/api/v1/sites/shop.example", method: .delete, headers: Self.auth)
            #expect(removed.status == .noContent)
            let gone = try await client.execute(uri: "/api/v1/sites/shop.example", method: .delete, headers: Self.auth)
            #expect(gone.status == .notFound)
        }
        #expect(try fixture.store.eventCount() == 1)
    }
}
