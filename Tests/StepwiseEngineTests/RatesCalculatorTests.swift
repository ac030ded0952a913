import StepwiseCore
import StepwisePlan
import Testing
@testable import StepwiseEngine

/// A site small enough to count on paper. Three humans and one bot (minutes after the origin):
///
///     v1  session A: 0 pageview /pricing, 5 pageview /pricing, 10 cta_click
///         session B: 100 pageview /pricing, 101 video_progress {percent: 80}     (returned after 90 min)
///     v2  session 1: 0 pageview /product/1, 1 add_to_cart, 3 add_to_cart          (mobile)
///         session 2: 200 add_to_cart                                              (mobile)
///     v3  session 1: 0 pageview /
///         session 2: 1500 pageview /pricing                                       (next day)
///     b1  bot user agent: 0 pageview /pricing, 1 add_to_cart
///
/// Humans: 3 persons, 6 sessions.
@Suite struct RatesCalculatorTests {
    static let plan = """
        site: s
        session_timeout: 30m
        conversions:
          pricing_view:
            kind: micro
            when: { event: pageview, path: "/pricing*" }
            count: once_per_session
          pricing_every:
            kind: micro
            when: { event: pageview, path: "/pricing*" }
            count: every
          pricing_person:
            kind: micro
            when: { event: pageview, path: "/pricing*" }
            count: once_per_person
          add_to_cart:
            kind: micro
            when: { event: add_to_cart }
            value: 2.5
            denominator: { event: pageview, path: "/product/*" }
          video_75:
            kind: micro
            when: { event: video_progress, props: { percent: { gte: 75 } } }
          second_pricing:
            kind: micro
            when: { event: pageview, path: /pricing, nth_in_session: 2 }
          came_back:
            kind: micro
            when: { event: pageview, returned_within: 2h }
            count: once_per_session
          purchase:
            kind: macro
            when: { event: purchase }
        funnels:
          f:
            steps: [pricing_view, video_75, add_to_cart, { event: purchase }]
        """

    /// The world above; `copies` repeats it with fresh visitors (`v1.1`, `v2.1`, ...).
    static func world(copies: Int = 1) -> EngineFixture {
        var world = EngineFixture()
        for copy in 0..<copies {
            func key(_ visitor: String) -> String { copy == 0 ? visitor : "\(visitor).\(copy)" }
            world.event("pageview", key("v1"), minute: 0, path: "/pricing")
            world.event("pageview", key("v1"), minute: 5, path: "/pricing")
            world.event("cta_click", key("v1"), minute: 10, path: "/pricing")
            world.event("pageview", key("v1"), minute: 100, path: "/pricing")
            world.event("video_progress", key("v1"), minute: 101, path: "/pricing", props: #"{"percent":80}"#)
            world.event("pageview", key("v2"), minute: 0, path: "/product/1", device: .mobile)
            world.event("add_to_cart", key("v2"), minute: 1, path: "/product/1", device: .mobile)
            world.event("add_to_cart", key("v2"), minute: 3, path: "/product/1", device: .mobile)
            world.event("add_to_cart", key("v2"), minute: 200, device: .mobile)
            world.event("pageview", key("v3"), minute: 0)
            world.event("pageview", key("v3"), minute: 1500, path: "/pricing")
            world.event("pageview", key("b1"), minute: 0, bot: .userAgent, path: "/pricing")
            world.event("add_to_cart", key("b1"), minute: 1, bot: .userAgent)
        }
        return world
    }

    static func report(
        from: Int64? = nil, to: Int64? = nil, segments: [String] = [], includeBots: Bool = false, interval: RatesQuery.Interval = .day,
        timezone: String? = nil
    ) throws -> RatesReport {
        let plan = try TrackingPlanLoader.load(yaml: Self.plan + (timezone.map { "\ntimezone: \($0)\n" } ?? ""))
        let query = RatesQuery(
            site: "s", plan: plan, from: from, to: to, segments: try segments.map { try Segment(parsing: $0) }, interval: interval,
            includeBots: includeBots, asOf: EngineFixture.at(minute: 1560))
        return RatesCalculator.compute(query, in: world().table())
    }

    /// completions, persons, sessions of each definition.
    static func counts(_ report: RatesReport) -> [String: [Int]] {
        Dictionary(uniqueKeysWithValues: report.definitions.map { ($0.name, [$0.completions, $0.persons, $0.sessions]) })
    }

    @Test func countRulesDecideHowManyCompletionsAMatchIsWorth() throws {
        let report = try Self.report()
        #expect(report.persons == 3)
        #expect(report.sessions == 6)
        let counts = Self.counts(report)
        #expect(counts["pricing_view"] == [3, 2, 3])
        #expect(counts["pricing_every"] == [4, 2, 3])
        #expect(counts["pricing_person"] == [2, 2, 3])  // one completion each, but three sessions saw it
        #expect(counts["add_to_cart"] == [3, 1, 2])
        #expect(counts["video_75"] == [1, 1, 1])
        #expect(counts["purchase"] == [0, 0, 0])
    }

    @Test func consecutiveFunnelStepsGetStepToStepRates() throws {
        let report = try Self.report()
        #expect(report.stepRates.map { "\($0.funnel):\($0.from)>\($0.to)" } == ["f:pricing_view>video_75", "f:video_75>add_to_cart"])
        #expect(report.stepRates.map(\.rate) == [Rate(1, of: 2, kind: .audience), Rate(0, of: 1, kind: .audience)])
    }

    @Test func behaviouralConditionsSeeTheSessionAndTheReturn() throws {
        let counts = Self.counts(try Self.report())
        #expect(counts["second_pricing"] == [1, 1, 1])  // only v1's session A has two /pricing views
        #expect(counts["came_back"] == [1, 1, 1])  // v1 after 90 min; v3's return took a day
    }

    @Test func everyRateCarriesItsDenominator() throws {
        let report = try Self.report()
        let pricing = try #require(report.definitions.first { $0.name == "pricing_view" })
        #expect(pricing.perPerson == Rate(2, of: 3, kind: .persons))
        #expect(pricing.perSession == Rate(3, of: 6, kind: .sessions))
        #expect(pricing.perAudience == nil)
        let cart = try #require(report.definitions.first { $0.name == "add_to_cart" })
        #expect(cart.perAudience == Rate(1, of: 1, kind: .audience))
        #expect(cart.audience == "persons with pageview path /product/*")
        #expect(cart.value == 7.5)
        #expect(pricing.value == nil)
    }

    @Test func denominatorAudiencesCheckPropsToo() throws {
        var world = EngineFixture()
        world.event("pageview", "a", minute: 0, path: "/pricing", props: #"{"plan":"pro"}"#)
        world.event("signup", "a", minute: 1)
        world.event("pageview", "b", minute: 0, path: "/pricing", props: #"{"plan":"free"}"#)
        world.event("signup", "b", minute: 1)
        world.event("pageview", "c", minute: 0, path: "/pricing", props: #"{"plan":"pro"}"#)
        world.event("signup", "d", minute: 0)
        let plan = try TrackingPlanLoader.load(yaml: """
            site: s
            conversions:
              signup_pro: { kind: micro, when: { event: signup }, denominator: { event: pageview, props: { plan: pro } } }
              signup_any: { kind: micro, when: { event: signup }, denominator: { event: pageview } }
            """)
        let report = RatesCalculator.compute(RatesQuery(site: "s", plan: plan), in: world.table())
        #expect(report.definitions.map(\.perAudience) == [Rate(1, of: 2, kind: .audience), Rate(2, of: 3, kind: .audience)])
    }

    @Test func botsAreLeftOutUnlessAskedFor() throws {
        let report = try Self.report(includeBots: true)
        #expect(report.persons == 4)
        #expect(report.sessions == 7)
        let counts = Self.counts(report)
        #expect(counts["pricing_view"] == [4, 3, 4])
        #expect(counts["add_to_cart"] == [4, 2, 3])
        let cart = try #require(report.definitions.first { $0.name == "add_to_cart" })
        #expect(cart.perAudience == Rate(1, of: 1, kind: .audience))  // the bot never viewed a product
        #expect(cart.value == 10)
    }

    @Test func aDateRangeCountsOnlyItsEventsButRulesSeeTheWholeHistory() throws {
        let report = try Self.report(from: EngineFixture.at(minute: 50))
        #expect(report.persons == 3)
        #expect(report.sessions == 3)
        let counts = Self.counts(report)
        #expect(counts["pricing_view"] == [2, 2, 2])
        #expect(counts["pricing_person"] == [2, 2, 2])
        #expect(counts["second_pricing"] == [0, 0, 0])
        #expect(counts["came_back"] == [1, 1, 1])
        #expect(counts["add_to_cart"] == [1, 1, 1])
    }

    @Test func segmentsKeepEventsOrSessions() throws {
        let mobile = try Self.report(segments: ["device=mobile"])
        #expect([mobile.persons, mobile.sessions] == [1, 2])
        #expect(Self.counts(mobile)["add_to_cart"] == [3, 1, 2])
        #expect(Self.counts(mobile)["pricing_view"] == [0, 0, 0])

        let new = try Self.report(segments: ["visitor_type=new"])
        #expect([new.persons, new.sessions] == [3, 3])
        #expect(Self.counts(new)["pricing_view"] == [1, 1, 1])
        #expect(Self.counts(new)["add_to_cart"] == [2, 1, 1])

        let landing = try Self.report(segments: ["landing_page=/product/*"])
        #expect([landing.persons, landing.sessions] == [1, 1])
        #expect(Self.counts(landing)["add_to_cart"] == [2, 1, 1])

        let prop = try Self.report(segments: ["prop.percent=80"])
        #expect([prop.persons, prop.sessions] == [1, 1])
        #expect(Self.counts(prop)["video_75"] == [1, 1, 1])

        let both = try Self.report(segments: ["device=mobile", "visitor_type=returning"])
        #expect([both.persons, both.sessions] == [1, 1])
        #expect(Self.counts(both)["add_to_cart"] == [1, 1, 1])
    }

    @Test func theSeriesSplitsByDayAndWeek() throws {
        let report = try Self.report()
        let pricing = try #require(report.definitions.first { $0.name == "pricing_view" })
        #expect(pricing.series.map(\.start) == ["2026-11-02", "2026-11-03"])
        #expect(pricing.series.map(\.completions) == [2, 1])
        #expect(pricing.series.map(\.perPerson) == [Rate(1, of: 3, kind: .persons), Rate(1, of: 1, kind: .persons)])
        let weekly = try Self.report(interval: .week)
        let week = try #require(weekly.definitions.first { $0.name == "pricing_view" })
        #expect(week.series.map(\.start) == ["2026-11-02"])  // a Monday
        #expect(week.series.map(\.persons) == [2])
    }

    @Test func theSeriesFollowsThePlansTimeZone() throws {
        // v2's last add_to_cart (minute 200, 13:35 UTC) is already 3 November in Sydney.
        let utc = try #require(try Self.report().definitions.first { $0.name == "add_to_cart" })
        #expect(utc.series.map(\.start) == ["2026-11-02", "2026-11-03"])
        #expect(utc.series.map(\.completions) == [3, 0])
        let sydney = try Self.report(timezone: "Australia/Sydney")
        #expect(sydney.timezone == "Australia/Sydney")
        let cart = try #require(sydney.definitions.first { $0.name == "add_to_cart" })
        #expect(cart.series.map(\.start) == ["2026-11-02", "2026-11-03"])
        #expect(cart.series.map(\.completions) == [2, 1])
    }

    @Test func timeToCompleteFrequencyAndRecencyAreMeasuredPerPerson() throws {
        let report = try Self.report()
        let pricing = try #require(report.definitions.first { $0.name == "pricing_view" })
        // v1 at once, v3 after 1500 minutes: numpy.percentile([0, 90000], [50, 90]).
        #expect(pricing.timeToComplete.fromFirstVisit == DurationSummary(count: 2, medianSeconds: 45_000, p90Seconds: 81_000))
        #expect(pricing.timeToComplete.fromSessionStart == DurationSummary(count: 3, medianSeconds: 0, p90Seconds: 0))
        let cart = try #require(report.definitions.first { $0.name == "add_to_cart" })
        #expect(cart.timeToComplete.fromFirstVisit == DurationSummary(count: 1, medianSeconds: 60, p90Seconds: 60))
        #expect(cart.timeToComplete.fromSessionStart == DurationSummary(count: 2, medianSeconds: 30, p90Seconds: 54))
        #expect(cart.frequency?.mean == 3)
        #expect(cart.frequency?.distribution.first { $0.completions == "3" }?.persons == 1)
        // Last add_to_cart at minute 200; as of minute 1560: 1360 minutes.
        #expect(cart.recency?.medianDays == 1360.0 / 1440)
    }

    /// Enough persons for the scan to split them into slices across the cores: every person
    /// is counted once, whichever slice and worker took them, and two runs give one answer.
    @Test func slicedScansCountEveryPersonOnceAndAgreeRunToRun() throws {
        let copies = 12_000
        let plan = try TrackingPlanLoader.load(yaml: Self.plan)
        let query = RatesQuery(site: "s", plan: plan, asOf: EngineFixture.at(minute: 1560))
        let one = RatesCalculator.compute(query, in: Self.world().table())
        let table = Self.world(copies: copies).table()
        let many = RatesCalculator.compute(query, in: table)
        #expect(many == RatesCalculator.compute(query, in: table))
        #expect(many.persons == one.persons * copies && many.sessions == one.sessions * copies)
        for (a, b) in zip(one.definitions, many.definitions) {
            #expect([b.completions, b.persons, b.sessions] == [a.completions, a.persons, a.sessions].map { $0 * copies }, "\(a.name)")
            #expect(b.value == a.value.map { $0 * Double(copies) }, "\(a.name)")
            #expect(b.perAudience?.numerator == a.perAudience.map { $0.numerator * copies }, "\(a.name)")
            #expect(b.perAudience?.denominator == a.perAudience.map { $0.denominator * copies }, "\(a.name)")
            #expect(b.frequency?.mean == a.frequency?.mean, "\(a.name)")
            #expect(b.timeToComplete.fromSessionStart?.count == a.timeToComplete.fromSessionStart.map { $0.count * copies }, "\(a.name)")
        }
    }

    /// More definitions on one event than a 64-bit word holds: the scan's definition sets
    /// span words, and each word is judged on its own.
    @Test func manyDefinitionsOnOneEventAreJudgedWordByWord() throws {
        var world = EngineFixture()
        world.event("pageview", "a", minute: 0, path: "/p/3")
        world.event("pageview", "a", minute: 1, path: "/p/3")
        world.event("pageview", "b", minute: 0, path: "/p/7")
        world.event("click", "c", minute: 0, path: "/p/3")
        // d0, d3, d6, ... on clicks, the rest on pageviews; paths /p/0 ... /p/9 in turn.
        let definitions = (0..<130).map { k in
            "  d\(k): { kind: micro, when: { event: \(k % 3 == 0 ? "click" : "pageview"), path: /p/\(k % 10) }, count: every }"
        }
        let plan = try TrackingPlanLoader.load(yaml: "site: s\nconversions:\n" + definitions.joined(separator: "\n")
            + "\n  any_page: { kind: micro, when: { event: pageview }, count: every }\n")
        let counts = Self.counts(RatesCalculator.compute(RatesQuery(site: "s", plan: plan), in: world.table()))
        for k in 0..<130 {
            let expected = switch (k % 3 == 0, k % 10) {
            case (true, 3): [1, 1, 1]
            case (false, 3): [2, 1, 1]
            case (false, 7): [1, 1, 1]
            default: [0, 0, 0]
            }
            #expect(counts["d\(k)"] == expected, "d\(k)")
        }
        #expect(counts["any_page"] == [3, 2, 2])
    }

    /// Frequencies below 16 are counted and larger ones stored: both meet in the summary.
    @Test func frequencyJoinsCountedAndStoredCompletions() throws {
        var world = EngineFixture()
        for minute in 0..<20 { world.event("tap", "a", minute: Double(minute)) }
        for minute in 0..<2 { world.event("tap", "b", minute: Double(minute)) }
        world.event("tap", "c", minute: 0)
        let plan = try TrackingPlanLoader.load(yaml: "site: s\nconversions:\n  tap: { kind: micro, when: { event: tap }, count: every }\n")
        let frequency = try #require(RatesCalculator.compute(RatesQuery(site: "s", plan: plan), in: world.table()).definitions[0].frequency)
        // numpy.percentile([1, 2, 20], [50, 90]) == [2.0, 16.4]; mean 23 / 3.
        #expect(frequency.median == 2 && abs(frequency.p90 - 16.4) < 1e-12 && abs(frequency.mean - 23.0 / 3) < 1e-12)
        #expect(frequency.distribution.map(\.persons) == [1, 1, 0, 0, 0, 1])
    }

    @Test func valuesComeFromAPropOrFallBackToTheEventsRevenue() throws {
        var world = EngineFixture()
        world.event("purchase", "a", minute: 0, props: #"{"revenue":"12.5"}"#, revenue: 99)  // the prop wins
        world.event("purchase", "b", minute: 0, revenue: 40)  // no prop: the revenue amount
        world.event("purchase", "c", minute: 0, props: #"{"revenue":"n/a"}"#)  // not a number: worth 0
        world.event("signup", "a", minute: 1, props: #"{"seats":3}"#)
        let plan = try TrackingPlanLoader.load(yaml: """
            site: s
            conversions:
              purchase: { kind: macro, when: { event: purchase }, value: { prop: revenue } }
              seats: { kind: micro, when: { event: signup }, value: { prop: seats } }
              fixed: { kind: micro, when: { event: purchase }, value: 2, count: once_per_person }
            """)
        let values = RatesCalculator.compute(RatesQuery(site: "s", plan: plan), in: world.table()).definitions.map(\.value)
        #expect(values == [52.5, 3, 6])
    }

    @Test func aRangeReachingFarBackMakesNoEmptySeries() throws {
        let report = try Self.report(from: Timestamp.parseDateOrTimestamp("0001-01-01")!)
        #expect(report.definitions[0].series.map(\.start) == ["2026-11-02", "2026-11-03"])
    }

    @Test func wilsonIntervalsMatchScipy() {
        for fixture in wilsonFixtures {
            let interval = Rate.wilson(fixture.successes, fixture.trials)
            #expect(abs(interval.lower - fixture.lower) < 1e-12, "\(fixture)")
            #expect(abs(interval.upper - fixture.upper) < 1e-12, "\(fixture)")
        }
    }

    @Test func aRateWithNoDenominatorHasNoValue() throws {
        let rate = Rate(0, of: 0, kind: .sessions)
        #expect(rate.rate == nil && rate.ci95 == nil)
        let json = String(decoding: try ReportEncoding.encoder().encode(rate), as: UTF8.self)
        #expect(json == #"{"ci95":null,"denominator":0,"denominator_kind":"sessions","numerator":0,"rate":null}"#)
    }

    @Test func badSegmentsSayWhatIsAccepted() {
        #expect(throws: Segment.Invalid.self) { try Segment(parsing: "device") }
        do {
            _ = try Segment(parsing: "device=phone")
            Issue.record("accepted device=phone")
        } catch {
            #expect(error.description == "segment device=phone: unknown device; one of unknown, desktop, mobile, tablet")
        }
        #expect(throws: Segment.Invalid.self) { try Segment(parsing: "colour=red") }
        #expect(throws: Segment.Invalid.self) { try Segment(parsing: "visitor_type=old") }
        #expect(throws: Segment.Invalid.self) { try Segment(parsing: "prop.=x") }
    }
}

@Suite struct QuantileTests {
    /// The definition numpy uses: sort, then interpolate between the closest ranks.
    static func reference(_ values: [UInt32], _ q: Double) -> Double {
        let sorted = values.sorted()
        let h = Double(sorted.count - 1) * q
        let k = Int(h.rounded(.down))
        return k + 1 < sorted.count ? Double(sorted[k]) + (h - Double(k)) * (Double(sorted[k + 1]) - Double(sorted[k])) : Double(sorted[k])
    }

    @Test func selectionAgreesWithSortingOnSkewedTiedWideAndSplitInput() throws {
        var random = SystemRandomNumberGenerator()
        var cases: [[UInt32]] = [[7], [1, 2], [5, 5, 5, 5], Array(0..<1000), Array((0..<1000).reversed()), [0, .max, 65_535, 65_536]]
        for size in [3, 10, 101, 40_000] {
            cases.append((0..<size).map { _ in UInt32.random(in: 0..<20, using: &random) })
            cases.append((0..<size).map { _ in UInt32.random(in: 0...UInt32.max, using: &random) })
            cases.append((0..<size).map { _ in UInt32.random(in: 65_000..<140_000, using: &random) })
        }
        for values in cases {
            // Split across two parts, as two workers would leave them.
            var parts = [Samples(values.prefix(values.count / 3)), Samples(values.dropFirst(values.count / 3))]
            defer { for i in parts.indices { parts[i].free() } }
            let (median, p90) = try #require(Quantile.medianAndP90(parts))
            #expect(median == Self.reference(values, 0.5))
            #expect(abs(p90 - Self.reference(values, 0.9)) < 1e-6 * max(1, p90))
        }
        // numpy.percentile([1, 2, 3, 4, 10], [50, 90]) == [3.0, 7.6]
        var small = [Samples([10, 1, 4, 2, 3])]
        defer { small[0].free() }
        let (median, p90) = try #require(Quantile.medianAndP90(small))
        #expect(median == 3 && abs(p90 - 7.6) < 1e-12)
        #expect(Quantile.medianAndP90([Samples()]) == nil)
    }
}
