import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import StepwiseCore
import StepwiseServer

/// `/attribution`, `/paths`, `/bidding`, `/exports/ads` and `/spend`, over real HTTP.
@Suite struct AttributionEndpointTests {
    static let plan = """
        site: shop.example
        currency: AUD
        conversions:
          pricing:
            kind: micro
            when: { event: pageview, path: /pricing }
          purchase:
            kind: macro
            when: { event: purchase }
            value: { prop: revenue }
        """

    static let auth: HTTPFields = [.authorization: "Bearer admin"]

    static func landing(_ visitor: String, minute: Int, url: String) -> String {
        eventJSON("pageview", visitor: visitor, minute: minute).replacingOccurrences(of: "}", with: #","url":"\#(url)"}"#)
    }

    /// a lands from a Google ad and buys for 80 AUD; b arrives by the newsletter and views
    /// pricing; c comes direct and leaves.
    static let events = [
        landing("a", minute: 0, url: "https://shop.example/pricing?utm_source=google&utm_medium=cpc&utm_campaign=brand&gclid=G-1"),
        eventJSON("purchase", visitor: "a", minute: 5).replacingOccurrences(of: "}", with: #","revenue":{"amount":80,"currency":"AUD"}}"#),
        landing("b", minute: 1, url: "https://shop.example/pricing?utm_source=news&utm_medium=email&utm_campaign=weekly"),
        landing("c", minute: 2, url: "https://shop.example/"),
    ]

    /// The UTC day the events fall on (they are a day old), as spend rows name it.
    static var eventDay: String {
        let day = Date(timeIntervalSinceNow: -86_400)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter.string(from: day)
    }

    func seed(_ client: any TestClientProtocol) async throws {
        let posted = try await client.execute(uri: "/api/v1/events", method: .post, body: body(#"{"batch":[\#(Self.events.joined(separator: ","))]}"#))
        #expect(posted.status == .ok || posted.status == .accepted, "\(String(buffer: posted.body))")
        let put = try await client.execute(uri: "/api/v1/sites/shop.example/plan", method: .put, headers: Self.auth, body: body(Self.plan))
        #expect(put.status == .ok, "\(String(buffer: put.body))")
    }

    @Test func attributionPathsAndBiddingAnswerOverHTTP() async throws {
        let fixture = try ServerFixture()
        try await fixture.run({ $0.adminToken = "admin" }) { client in
            try await seed(client)
            let report = try await client.execute(uri: "/api/v1/sites/shop.example/attribution?model=first,linear", method: .get, headers: Self.auth)
            #expect(report.status == .ok, "\(String(buffer: report.body))")
            #expect(report.json["macro"]?.string == "purchase" && report.json["conversions"]?.int == 1)
            #expect(report.json["models"]?.count == 2)
            let search = report.json["channels"]?[0]
            #expect(search?["channel"]?.string == "Paid Search")
            #expect(search?["credit"]?["first"]?.int == 1 && search?["credit"]?["linear"]?.int == 1)
            #expect(search?["revenue"]?["first"]?.int == 80)
            #expect(search?["credit"]?["last_non_direct"] == nil, "a model not asked for is left out")
            let campaign = report.json["campaigns"]?[0]
            #expect(campaign?["campaign"]?.string == "brand")
            // Quality: each person under the channel of their first session.
            guard case .array(let quality)? = report.json["quality"] else { Issue.record("no quality"); return }
            let email = quality.first { $0["channel"]?.string == "Email" }
            #expect(email?["persons"]?.int == 1 && email?["micros"]?[0]?["rate"]?["numerator"]?.int == 1)
            #expect(email?["macro_rate"]?["numerator"]?.int == 0)

            for (query, field) in [("model=last", "model"), ("macro=ghost", "macro"), ("lookback=0d", "lookback"), ("segment=device%3Dphone", "segment")] {
                let bad = try await client.execute(uri: "/api/v1/sites/shop.example/attribution?\(query)", method: .get, headers: Self.auth)
                #expect(bad.status == .badRequest && bad.json["error"]?["field"]?.string == field, "\(query): \(String(buffer: bad.body))")
            }

            let paths = try await client.execute(uri: "/api/v1/sites/shop.example/paths?top=5", method: .get, headers: Self.auth)
            #expect(paths.status == .ok, "\(String(buffer: paths.body))")
            let converting = paths.json["converting"]?[0]
            // a and b both viewed pricing; only a bought.
            #expect(converting?["steps"]?[0]?.string == "pricing" && converting?["persons"]?.int == 2 && converting?["converters"]?.int == 1)
            let badPaths = try await client.execute(uri: "/api/v1/sites/shop.example/paths?max_length=0", method: .get, headers: Self.auth)
            #expect(badPaths.status == .badRequest && badPaths.json["error"]?["field"]?.string == "max_length")

            let bidding = try await client.execute(uri: "/api/v1/sites/shop.example/bidding", method: .get, headers: Self.auth)
            #expect(bidding.status == .ok, "\(String(buffer: bidding.body))")
            let advice = bidding.json["macros"]?[0]
            #expect(advice?["macro"]?.string == "purchase" && advice?["conversions"]?.int == 1)
            #expect(advice?["recommendation"]?.string == "bid_on_micro" && advice?["primary"]?.count == 1)
            let badBidding = try await client.execute(uri: "/api/v1/sites/shop.example/bidding?from=2026-01-01", method: .get, headers: Self.auth)
            #expect(badBidding.status == .badRequest && badBidding.json["error"]?["field"]?.string == "from")
        }
    }

    @Test func adExportsCarryTheClickIdsAndSayWhatTheyLeftOut() async throws {
        let fixture = try ServerFixture()
        try await fixture.run({ $0.adminToken = "admin" }) { client in
            try await seed(client)
            let google = try await client.execute(uri: "/api/v1/sites/shop.example/exports/ads?platform=google&conversion=purchase&name=Web%20purchase", method: .get, headers: Self.auth)
            #expect(google.status == .ok, "\(String(buffer: google.body))")
            let lines = String(buffer: google.body).split(separator: "\n")
            #expect(lines.first == "Google Click ID,Conversion Name,Conversion Time,Conversion Value,Conversion Currency")
            #expect(lines.count == 2 && lines[1].hasPrefix("G-1,Web purchase,") && lines[1].hasSuffix(",80.00,AUD"))
            #expect(google.headers[.contentType]?.hasPrefix("text/csv") == true)
            #expect(google.headers[HTTPField.Name("X-Stepwise-Exported")!] == "1")
            #expect(google.headers[HTTPField.Name("X-Stepwise-Skipped")!] == "0")

            // Meta matches on its own click id: a buyer who came by a Google ad is left out, and said so.
            let meta = try await client.execute(uri: "/api/v1/sites/shop.example/exports/ads?platform=meta&conversion=purchase", method: .get, headers: Self.auth)
            #expect(meta.status == .ok && meta.json["data"]?.count == 0)
            #expect(meta.headers[HTTPField.Name("X-Stepwise-Exported")!] == "0" && meta.headers[HTTPField.Name("X-Stepwise-Skipped")!] == "1")

            for (query, field) in [("platform=bing&conversion=purchase", "platform"), ("conversion=purchase", "platform"),
                                   ("platform=google&conversion=ghost", "conversion"), ("platform=google&conversion=purchase&name=%20", "name"),
                                   ("platform=google&conversion=purchase&segment=channel%3DEmail", "segment")] {
                let bad = try await client.execute(uri: "/api/v1/sites/shop.example/exports/ads?\(query)", method: .get, headers: Self.auth)
                #expect(bad.status == .badRequest && bad.json["error"]?["field"]?.string == field, "\(query): \(String(buffer: bad.body))")
            }
        }
    }

    @Test func spendImportIsAdminOnlyRefusesBadFilesWholeAndFeedsCost() async throws {
        let fixture = try ServerFixture()
        try await fixture.run({ $0.adminToken = "admin" }) { client in
            try await seed(client)
            let day = Self.eventDay
            let good = "date,channel,campaign,cost,currency\n\(day),Paid Search,brand,40,AUD\n\(day),Email,weekly,5,AUD\n"
            let anonymous = try await client.execute(uri: "/api/v1/sites/shop.example/spend", method: .put, body: body(good))
            #expect(anonymous.status == .unauthorized)

            let put = try await client.execute(uri: "/api/v1/sites/shop.example/spend", method: .put, headers: Self.auth, body: body(good))
            #expect(put.status == .ok && put.json["added"]?.int == 2 && put.json["replaced"]?.int == 0, "\(String(buffer: put.body))")
            let again = try await client.execute(uri: "/api/v1/sites/shop.example/spend", method: .put, headers: Self.auth, body: body(good))
            #expect(again.json["added"]?.int == 0 && again.json["replaced"]?.int == 2)

            // A bad row refuses the whole file, and what was imported stays.
            let badRow = good + "\(day),Billboards,,3,AUD\n"
            let refused = try await client.execute(uri: "/api/v1/sites/shop.example/spend", method: .put, headers: Self.auth, body: body(badRow))
            #expect(refused.status == .badRequest && refused.json["error"]?["field"]?.string == "channel")
            #expect(refused.json["error"]?["message"]?.string?.hasPrefix("line 4: channel:") == true, "\(String(buffer: refused.body))")
            let dollars = try await client.execute(uri: "/api/v1/sites/shop.example/spend", method: .put, headers: Self.auth,
                                                   body: body("date,channel,campaign,cost,currency\n\(day),Display,,9,USD\n"))
            #expect(dollars.status == .badRequest && dollars.json["error"]?["field"]?.string == "currency", "\(String(buffer: dollars.body))")
            let stored = try await client.execute(uri: "/api/v1/sites/shop.example/spend", method: .get, headers: Self.auth)
            #expect(stored.json["spend"]?.count == 2)

            let report = try await client.execute(uri: "/api/v1/sites/shop.example/attribution", method: .get, headers: Self.auth)
            let search = report.json["channels"]?[0]
            #expect(search?["channel"]?.string == "Paid Search" && search?["cost"]?.int == 40)
            #expect(search?["cost_per_conversion"]?["last_non_direct"]?.int == 40)
            #expect(report.json["currency"]?.string == "AUD")

            // The attribution page shows each channel's credit under every model, its quality and cost.
            let page = visibleText(try await dashboardPage(client, "/sites/shop.example/attribution"))
            #expect(page.contains("Channel first last non direct linear time decay position Assisted Cost (AUD) Cost per conversion (last non-direct)"), "\(page)")
            #expect(page.contains("Paid Search 1.00 1.00 1.00 1.00 1.00 0 40.00 40.00"), "\(page)")
            #expect(page.contains("Paid Search 1 100.0% 100.0%"), "\(page)")
            #expect(page.contains("Email 1 100.0% 0.0%"), "\(page)")
        }
    }
}
