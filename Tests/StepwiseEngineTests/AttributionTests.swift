import Foundation
import StepwiseCore
import StepwisePlan
import Testing
@testable import StepwiseEngine

/// Attribution worked on paper (days after the fixture origin, lookback 30 days):
///
///     a  d0 Paid Search (brand) · d7 Email (weekly) · d14 Direct, purchase 100 ten minutes in
///     b  d0 Organic Social · d40 Direct, purchase 50   → the d0 session is outside the lookback
///     c  d0 Referral, purchase 10 · d1 Paid Social (retargeting), purchase 20
///     d  d0 Email, pricing view, never buys
///
/// a's touchpoints are 14, 7 and 0 days old: time decay weighs them 1 : 2 : 4, so 1/7, 2/7, 4/7.
@Suite struct AttributionTests {
    static let planText = """
        site: s
        conversions:
          pricing:
            kind: micro
            when: { event: pageview, path: /pricing }
          purchase:
            kind: macro
            when: { event: purchase }
            value: { prop: revenue }
        """
    static let plan = try! TrackingPlanLoader.load(yaml: planText, file: "test.yml")
    static let day = 1440.0

    static func fixture() -> EngineFixture {
        var f = EngineFixture()
        f.event("pageview", "a", minute: 0, channel: .paidSearch, query: "?utm_source=google&utm_medium=cpc&utm_campaign=brand")
        f.event("pageview", "a", minute: 7 * day, channel: .email, query: "?utm_source=news&utm_medium=email&utm_campaign=weekly")
        f.event("pageview", "a", minute: 14 * day)
        f.event("purchase", "a", minute: 14 * day + 10, revenue: 100)
        f.event("pageview", "b", minute: 0, channel: .organicSocial)
        f.event("purchase", "b", minute: 40 * day, revenue: 50)
        f.event("pageview", "c", minute: 0, channel: .referral)
        f.event("purchase", "c", minute: 5, channel: .referral, revenue: 10)
        f.event("pageview", "c", minute: day, channel: .paidSocial, query: "?utm_source=facebook&utm_medium=paid_social&utm_campaign=retargeting")
        f.event("purchase", "c", minute: day + 5, revenue: 20)
        f.event("pageview", "d", minute: 0, path: "/pricing", channel: .email)
        return f
    }

    func report(_ configure: (inout AttributionQuery) -> Void = { _ in }) throws -> AttributionReport {
        var query = AttributionQuery(site: "s", plan: Self.plan, macro: "purchase")
        configure(&query)
        return try AttributionCalculator.compute(query, in: Self.fixture().table())
    }

    static func row(_ report: AttributionReport, _ channel: Channel) -> AttributionRow? {
        report.channels.first { $0.channel == channel.description }
    }

    @Test func everyModelSharesEachConversionAsWorkedOnPaper() throws {
        let report = try report()
        #expect(report.conversions == 4 && report.revenue == 180)
        let r = 1 / (1 + pow(2, 1 / 7.0))   // the older of c's two touchpoints, 1 day + 5 minutes against 5 minutes
        let expected: [Channel: [AttributionModel: Double]] = [
            .paidSearch: [.first: 1, .lastNonDirect: 0, .linear: 1 / 3.0, .timeDecay: 1 / 7.0, .position: 0.4],
            .email: [.first: 0, .lastNonDirect: 1, .linear: 1 / 3.0, .timeDecay: 2 / 7.0, .position: 0.2],
            .direct: [.first: 1, .lastNonDirect: 1, .linear: 4 / 3.0, .timeDecay: 4 / 7.0 + 1, .position: 1.4],
            .referral: [.first: 2, .lastNonDirect: 1, .linear: 1.5, .timeDecay: 1 + r, .position: 1.5],
            .paidSocial: [.first: 0, .lastNonDirect: 1, .linear: 0.5, .timeDecay: 1 - r, .position: 0.5],
        ]
        for (channel, credits) in expected {
            let row = try #require(Self.row(report, channel), "\(channel)")
            for (model, credit) in credits {
                #expect(abs((row.credit[model] ?? -1) - credit) < 1e-9, "\(channel) \(model)")
            }
        }
        #expect(Self.row(report, .organicSocial)?.credit.first == 0, "b's day-0 session lies outside the 30-day lookback")
        for model in AttributionModel.allCases {
            #expect(abs(report.channels.reduce(0) { $0 + ($1.credit[model] ?? 0) } - 4) < 1e-9, "\(model) sums to the conversions")
            #expect(abs(report.channels.reduce(0) { $0 + ($1.revenue[model] ?? 0) } - 180) < 1e-9, "\(model) sums to the revenue")
        }
        #expect(Self.row(report, .email)?.revenue.lastNonDirect == 100 && Self.row(report, .paidSocial)?.revenue.lastNonDirect == 20)
        #expect(Self.row(report, .direct)?.revenue.first == 50)
    }

    @Test func assistsAreTouchpointsOtherThanTheLastNonDirect() throws {
        let report = try report()
        let assisted = Dictionary(uniqueKeysWithValues: report.channels.map { ($0.channel, $0.assisted) })
        #expect(assisted == ["Paid Search": 1, "Direct": 1, "Referral": 1, "Email": 0, "Paid Social": 0, "Organic Social": 0])
        #expect(report.campaigns.map(\.campaign) == ["weekly", "retargeting", "brand"])
        #expect(report.campaigns.first { $0.campaign == "brand" }?.assisted == 1)
    }

    @Test func lookbackBoundaryIsInclusiveAndAllDirectPathsCreditDirect() throws {
        var f = EngineFixture()
        f.event("pageview", "e", minute: 0, channel: .organicSearch)
        f.event("purchase", "e", minute: 30 * Self.day)            // exactly 30 days later: the d0 session still counts
        f.event("pageview", "g", minute: 0)
        f.event("purchase", "g", minute: 2 * Self.day)
        let report = try AttributionCalculator.compute(AttributionQuery(site: "s", plan: Self.plan, macro: "purchase"), in: f.table())
        let search = try #require(Self.row(report, .organicSearch)), direct = try #require(Self.row(report, .direct))
        #expect(search.credit.first == 1 && search.credit.lastNonDirect == 1 && search.credit.linear == 0.5 && search.credit.position == 0.5)
        #expect(direct.credit.lastNonDirect == 1 && direct.credit.first == 1, "g's all-direct path credits direct")
        #expect(abs(search.credit.timeDecay! - pow(2, -30 / 7.0) / (1 + pow(2, -30 / 7.0))) < 1e-12)
        let shorter = try AttributionCalculator.compute(
            { var q = AttributionQuery(site: "s", plan: Self.plan, macro: "purchase"); q.lookbackMillis = 30 * 86_400_000 - 1; return q }(),
            in: f.table())
        #expect(Self.row(shorter, .organicSearch)?.credit.first ?? 0 == 0, "one millisecond less and it falls out")
    }

    @Test func modelWeightsFollowTheirDefinitions() throws {
        let starts: [Int64] = [0, 1, 2, 3]
        #expect(AttributionModel.position.weights(starts: [0], direct: [false], conversion: 5) == [1])
        #expect(AttributionModel.position.weights(starts: [0, 1], direct: [false, false], conversion: 5) == [0.5, 0.5])
        #expect(AttributionModel.position.weights(starts: starts, direct: [false, false, false, false], conversion: 5) == [0.4, 0.1, 0.1, 0.4])
        #expect(AttributionModel.lastNonDirect.weights(starts: starts, direct: [false, true, false, true], conversion: 5) == [0, 0, 1, 0])
        #expect(AttributionModel.lastNonDirect.weights(starts: starts, direct: [true, true, true, true], conversion: 5) == [0, 0, 0, 1])
        #expect(AttributionModel.first.weights(starts: starts, direct: [true, false, false, false], conversion: 5) == [1, 0, 0, 0])
        #expect(throws: PredictQuery.Invalid.self) { try AttributionModel.parse("first,last") }
        #expect(try AttributionModel.parse("linear, first,linear") == [.linear, .first])
    }

    @Test func channelQualityAndCostFollowEachPersonsFirstSession() throws {
        let spend = try AdSpend.parseCSV("""
            date,channel,campaign,cost,currency
            2026-11-02,Paid Search,brand,30,aud
            2026-11-02,email,,10,AUD
            2026-12-30,Email,,99,AUD
            """)
        let report = try report {
            $0.spend = spend
            $0.to = EngineFixture.at(minute: 45 * Self.day)
            $0.from = EngineFixture.origin - 1
        }
        #expect(report.currency == "AUD")
        let quality = Dictionary(uniqueKeysWithValues: report.quality.map { ($0.channel, $0) })
        #expect(quality["Paid Search"]?.persons == 1 && quality["Paid Search"]?.macroRate.numerator == 1)
        #expect(quality["Email"]?.persons == 1 && quality["Email"]?.macroRate.numerator == 0)
        #expect(quality["Email"]?.micros.first { $0.name == "pricing" }?.rate.numerator == 1)
        #expect(quality["Organic Social"]?.persons == 1 && quality["Referral"]?.revenuePerPerson == 30)
        #expect(quality["Paid Search"]?.revenuePerPerson == 100 && quality["Paid Search"]?.costPerPerson == 30)
        #expect(quality["Email"]?.cost == 10, "the December row lies outside the range")
        #expect(quality["Email"]?.micros.first?.costPerPerson == 10 && quality["Email"]?.costPerMacro == nil)
        let search = try #require(Self.row(report, .paidSearch))
        #expect(search.cost == 30 && search.costPerConversion?.first == 30 && search.costPerConversion?.lastNonDirect == nil)
        #expect(report.campaigns.first { $0.campaign == "brand" }?.cost == 30)
        #expect(report.campaignQuality.first { $0.campaign == "brand" }?.persons == 1)
    }

    @Test func spendFilesAreRefusedWholeWithLineAndField() {
        func failure(_ text: String) -> AdSpend.Invalid? {
            do { _ = try AdSpend.parseCSV(text); return nil } catch { return error }
        }
        #expect(failure("date,channel,cost,currency\n2026-11-02,Email,1,AUD")?.field == "campaign")
        #expect(failure("date,channel,campaign,cost,currency\n2026-13-02,Email,,1,AUD") == AdSpend.Invalid(line: 2, field: "date", reason: "'2026-13-02' is not a date (YYYY-MM-DD)"))
        #expect(failure("date,channel,campaign,cost,currency\n2026-11-02,Billboards,,1,AUD")?.field == "channel")
        #expect(failure("date,channel,campaign,cost,currency\n2026-11-02,Email,,-1,AUD")?.field == "cost")
        #expect(failure("date,channel,campaign,cost,currency\n2026-11-02,Email,,nan,AUD")?.field == "cost")
        #expect(failure("date,channel,campaign,cost,currency\n2026-11-02,Email,,1,dollars")?.field == "currency")
        #expect(failure("date,channel,campaign,cost,currency\n2026-11-02,Email,,1,AUD\n2026-11-03,Email,,1,USD")?.line == 3)
        #expect(failure("date,channel,campaign,cost,currency\n2026-11-02,Email,a,1,AUD\n2026-11-02,email,a,2,AUD")?.reason.contains("line 2") == true)
        #expect(failure("date,channel,campaign,cost,currency\n")?.field == "csv")
        #expect(failure("") != nil)
    }
}

/// Paths worked on paper (minutes): consecutive repeats collapse, micros after the macro
/// never appear, and long paths keep their last steps.
@Suite struct PathsTests {
    static let plan = try! TrackingPlanLoader.load(yaml: """
        site: s
        conversions:
          pricing: { kind: micro, when: { event: pageview, path: /pricing } }
          newsletter: { kind: micro, when: { event: newsletter } }
          cart: { kind: micro, when: { event: add_to_cart } }
          purchase: { kind: macro, when: { event: purchase } }
        """, file: "test.yml")

    static func fixture() -> EngineFixture {
        var f = EngineFixture()
        for person in ["a", "b"] {   // pricing → pricing → cart → purchase → newsletter
            f.event("pageview", person, minute: 0, path: "/pricing"); f.event("pageview", person, minute: 1, path: "/pricing")
            f.event("add_to_cart", person, minute: 2); f.event("purchase", person, minute: 3); f.event("newsletter", person, minute: 4)
        }
        f.event("pageview", "c", minute: 0, path: "/pricing"); f.event("add_to_cart", "c", minute: 2)   // same path, no purchase
        f.event("newsletter", "d", minute: 0)
        f.event("newsletter", "e", minute: 0)
        f.event("purchase", "f", minute: 0)                                                            // converted with no micro
        // g: newsletter, pricing, newsletter, pricing, cart, then purchase: five steps
        for (k, name) in ["newsletter", "pageview", "newsletter", "pageview", "add_to_cart", "purchase"].enumerated() {
            f.event(name, "g", minute: Double(k), path: name == "pageview" ? "/pricing" : "/")
        }
        return f
    }

    func report(maxLength: Int = 6) throws -> PathsReport {
        var query = PathsQuery(site: "s", plan: Self.plan, macro: "purchase")
        query.maxLength = maxLength
        return try PathsCalculator.compute(query, in: Self.fixture().table())
    }

    @Test func convertingPathsCollapseRepeatsAndStopAtTheMacro() throws {
        let report = try report()
        #expect(report.persons == 7 && report.converters == 4)
        let top = try #require(report.converting.first)
        #expect(top.steps == ["pricing", "cart"] && top.converters == 2 && top.persons == 3 && !top.truncated)
        #expect(top.macroRate.numerator == 2 && top.macroRate.denominator == 3)
        #expect(report.converting.map(\.text) == ["pricing → cart", "(no micro)", "newsletter → pricing → newsletter → pricing → cart"])
        #expect(report.nonConverting.map(\.text) == ["newsletter", "pricing → cart"])
        #expect(report.nonConverting.first?.persons == 2 && report.nonConverting.first?.macroRate.rate == 0)
    }

    @Test func longPathsKeepTheirLastSteps() throws {
        let report = try report(maxLength: 2)
        let g = try #require(report.converting.first { $0.truncated })
        #expect(g.steps == ["pricing", "cart"] && g.text == "… → pricing → cart")
        #expect(report.converting.first { $0.steps == ["pricing", "cart"] && !$0.truncated }?.converters == 2, "truncated paths stay apart")
    }
}

/// Ad exports, field by field against files written by hand from the platforms' documents.
@Suite struct AdsExportTests {
    struct Directory: PersonDirectory {
        func identities(of keys: [UInt32]) throws -> [UInt32: PersonIdentity] {
            var result: [UInt32: PersonIdentity] = [:]
            for key in keys {
                // The fixture's first visitor (key 2) clicked a Google ad 10 minutes in and a Meta ad 200 days before.
                let clicks = key == 2
                    ? [SeenClick(kind: "fbclid", value: "IwAROld", time: EngineFixture.at(minute: -200 * 1440)),
                       SeenClick(kind: "gclid", value: "Cj0KTest", time: EngineFixture.at(minute: 10), userAgent: "UA/1"),
                       SeenClick(kind: "fbclid", value: "IwARNew", time: EngineFixture.at(minute: 10), userAgent: "UA/1")]
                    : [SeenClick(kind: "gclid", value: "Cj0KLate", time: EngineFixture.at(minute: 500))]
                result[key] = PersonIdentity(person: key == 2 ? "u_42" : "v_\(key)", user: key == 2 ? "u_42" : nil, clickIds: [:], clicks: clicks)
            }
            return result
        }
    }

    static let plan = try! TrackingPlanLoader.load(yaml: """
        site: s
        timezone: Australia/Sydney
        currency: AUD
        conversions:
          purchase: { kind: macro, when: { event: purchase }, value: { prop: revenue } }
          signup: { kind: micro, when: { event: signup } }
        """, file: "test.yml")

    static func table() -> EventTable {
        var f = EngineFixture()
        f.event("pageview", "a", minute: 10, path: "/p", query: "?gclid=Cj0KTest&fbclid=IwARNew")
        f.event("purchase", "a", minute: 20, path: "/thanks", props: #"{"fbp":"fb.1.1700000000000.123"}"#, revenue: 49.5)
        f.event("signup", "a", minute: 21)
        f.event("purchase", "b", minute: 30, revenue: 10)   // b's only gclid came after: skipped
        return f.table()
    }

    @Test func googleCSVHasTheOfflineClickConversionColumns() throws {
        let export = try AdsExporter.export(AdsExportQuery(site: "s", plan: Self.plan, platform: .google, conversion: "purchase",
                                                           platformName: "Purchase, online"), in: Self.table(), directory: Directory())
        // 2026-11-02T10:35:03Z is 21:35:03 in Sydney (AEDT, +11:00).
        #expect(export.body == """
            Google Click ID,Conversion Name,Conversion Time,Conversion Value,Conversion Currency
            Cj0KTest,"Purchase, online",2026-11-02 21:35:03+11:00,49.50,AUD

            """)
        #expect(export.exported == 1 && export.skipped == 1 && export.contentType.hasPrefix("text/csv"))
        let signup = try AdsExporter.export(AdsExportQuery(site: "s", plan: Self.plan, platform: .google, conversion: "signup"),
                                            in: Self.table(), directory: Directory())
        #expect(signup.body.hasSuffix("Cj0KTest,signup,2026-11-02 21:36:03+11:00,,\n"), "no value and no currency without a value rule")
    }

    @Test func metaBodyHasTheConversionsAPIFields() throws {
        let export = try AdsExporter.export(AdsExportQuery(site: "s", plan: Self.plan, platform: .meta, conversion: "purchase", platformName: "Purchase"),
                                            in: Self.table(), directory: Directory())
        let clickTime = EngineFixture.at(minute: 10), eventTime = EngineFixture.at(minute: 20) / 1000
        let eventID = String(HashedIdentifier.sha256Hex("s|u_42|purchase|\(EngineFixture.at(minute: 20))").prefix(32))
        #expect(export.body == """
            {"data":[{"event_name":"Purchase","event_time":\(eventTime),"action_source":"website",\
            "event_source_url":"https://s/thanks","event_id":"\(eventID)","user_data":{"external_id":\
            ["afc2d29f5ba19d741c1f777eb30989cb450e9b7ad5bab15ab72a12d62b6cc40b"],"fbc":"fb.1.\(clickTime).IwARNew",\
            "fbp":"fb.1.1700000000000.123","client_user_agent":"UA/1"},"custom_data":{"value":49.5,"currency":"AUD"}}]}

            """)
        #expect(export.exported == 1 && export.skipped == 1)
        #expect(export.summary == "1 conversion exported; 1 skipped without an fbclid in the 90 days before converting")
    }

    @Test func sha256MatchesTheNISTVectors() {
        #expect(HashedIdentifier.sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(HashedIdentifier.sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(HashedIdentifier.sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(HashedIdentifier.sha256Hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu")
                == "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
    }

    @Test func biddingFollowsTheThirtyAndFiftyRule() {
        let micro = BiddingMicro(name: "pricing_view", intent: "high", verdict: .strong, lift: 3, completions: 400)
        #expect(BiddingAdvisor.advice(macro: "purchase", conversions: 29, micro: micro).recommendation == .bidOnMicro)
        #expect(BiddingAdvisor.advice(macro: "purchase", conversions: 29, micro: micro).primary == ["pricing_view"])
        #expect(BiddingAdvisor.advice(macro: "purchase", conversions: 30, micro: micro).recommendation == .keepBoth)
        #expect(BiddingAdvisor.advice(macro: "purchase", conversions: 50, micro: micro).primary == ["purchase", "pricing_view"])
        #expect(BiddingAdvisor.advice(macro: "purchase", conversions: 51, micro: micro).recommendation == .macroPrimary)
        #expect(BiddingAdvisor.advice(macro: "purchase", conversions: 51, micro: micro).secondary == ["pricing_view"])
        let none = BiddingAdvisor.advice(macro: "purchase", conversions: 3, micro: nil)
        #expect(none.primary == ["purchase"] && none.why.contains("no micro predicts"))
    }
}
