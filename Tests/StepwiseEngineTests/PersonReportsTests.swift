import StepwiseCore
import StepwisePlan
import Testing
@testable import StepwiseEngine

/// Predictive value, scores and audiences on a site small enough to work on paper
/// (minutes after the origin; pricing = pageview /pricing):
///
///     p1  0 pricing, 60 purchase, 70 order_review        → did pricing first, converted
///     p2  0 pricing, 5 newsletter                        → did both, never converted
///     p3  0 newsletter, 10 purchase, 20 pricing          → newsletter first; pricing came after
///     p4  0 pageview /                                   → nothing
///     p5  0 purchase, 5 order_review                     → converted with no micro first
///     p6  0 order_review                                 → review, never converted
@Suite struct PersonReportsTests {
    static let planText = """
        site: s
        conversions:
          pricing:
            kind: micro
            when: { event: pageview, path: /pricing }
            count: once_per_session
            value: 5
          newsletter:
            kind: micro
            when: { event: newsletter }
          order_review:
            kind: micro
            when: { event: order_review }
          purchase:
            kind: macro
            when: { event: purchase }
        audiences:
          warm:
            did: [pricing]
            not: [purchase]
          recent_readers:
            did: [newsletter]
            within: 1h
          keen:
            did: [pricing]
            min_score: 6
          mobile_pricing:
            did: [pricing]
            segment: device=mobile
        """

    static func fixture() -> EngineFixture {
        var f = EngineFixture()
        f.event("pageview", "p1", minute: 0, path: "/pricing"); f.event("purchase", "p1", minute: 60); f.event("order_review", "p1", minute: 70)
        f.event("pageview", "p2", minute: 0, path: "/pricing", device: .mobile); f.event("newsletter", "p2", minute: 5)
        f.event("newsletter", "p3", minute: 0); f.event("purchase", "p3", minute: 10); f.event("pageview", "p3", minute: 20, path: "/pricing")
        f.event("pageview", "p4", minute: 0)
        f.event("purchase", "p5", minute: 0); f.event("order_review", "p5", minute: 5)
        f.event("order_review", "p6", minute: 0)
        return f
    }

    static let plan = try! TrackingPlanLoader.load(yaml: planText, file: "test.yml")

    func predict() throws -> PredictiveValueReport {
        try PredictiveValueCalculator.compute(PredictQuery(site: "s", plan: Self.plan, macro: "purchase"), in: Self.fixture().table())
    }

    @Test func groupsPersonsByMicroBeforeTheirFirstMacro() throws {
        let report = try predict()
        #expect(report.persons == 6 && report.converters == 3)
        let pricing = try #require(report.micros.first { $0.name == "pricing" })
        #expect(pricing.rateWith.numerator == 1 && pricing.rateWith.denominator == 2)
        #expect(pricing.rateWithout.numerator == 2 && pricing.rateWithout.denominator == 4)
        #expect(pricing.lift == 1)
        #expect(pricing.coverage.numerator == 1 && pricing.coverage.denominator == 3)
        #expect(pricing.prevalence.numerator == 2 && pricing.prevalence.denominator == 6)
        #expect(pricing.lag == DurationSummary(count: 1, medianSeconds: 3600, p90Seconds: 3600))
        #expect(pricing.test == .fisher && pricing.pValue == TwoByTwo(a: 1, b: 1, c: 2, d: 2).fisherPValue)
        let newsletter = try #require(report.micros.first { $0.name == "newsletter" })
        #expect(newsletter.rateWith.numerator == 1 && newsletter.rateWith.denominator == 2)
        #expect(newsletter.lag?.medianSeconds == 600)
    }

    @Test func microDoneAfterTheMacroGetsNoCredit() throws {
        // Two of three buyers did order_review, but only after buying: it must show no lift.
        let review = try #require(try predict().micros.first { $0.name == "order_review" })
        #expect(review.rateWith.numerator == 0 && review.rateWith.denominator == 1)
        #expect(review.rateWithout.numerator == 3 && review.rateWithout.denominator == 5)
        #expect(review.coverage.numerator == 0)
        #expect(review.verdict != .strong && review.verdict != .weak)
    }

    @Test func verdictsFollowTheirRules() {
        func verdict(_ a: Int, _ b: Int, _ c: Int, _ d: Int) -> PredictiveValue.Verdict {
            let t = TwoByTwo(a: a, b: b, c: c, d: d)
            let prevalence = Double(a + b) / Double(a + b + c + d)
            return PredictiveValueCalculator.verdict(t, pValue: t.pValue.0, prevalence: prevalence, macro: "m").0
        }
        #expect(verdict(60, 940, 90, 8910) == .strong)       // lift 6, tiny p
        #expect(verdict(130, 870, 900, 8100) == .weak)       // lift 1.44, p < 0.05
        #expect(verdict(10, 2990, 90, 6910) == .negative)    // lift 0.26
        #expect(verdict(300, 2700, 700, 6300) == .vanity)    // 30 % did it, lift 1
        #expect(verdict(2, 98, 90, 9810) == .noEvidence)     // 1 % did it, lift 2.2 on two persons
        #expect(verdict(0, 0, 5, 95) == .noEvidence)         // nobody did it
    }

    @Test func unknownMacroOrMicroNamesTheField() {
        let table = Self.fixture().table()
        #expect(throws: PredictQuery.Invalid.self) { try PredictiveValueCalculator.compute(PredictQuery(site: "s", plan: Self.plan, macro: "nope"), in: table) }
        do {
            _ = try PredictQuery.fromOptions(site: "s", plan: Self.plan, from: nil, to: nil, segments: [], includeBots: false,
                                             macro: nil, micros: "pricing,,newsletter", lookback: nil)
            Issue.record("an empty micro name was accepted")
        } catch { #expect(error.field == "micros") }
        do {
            _ = try PredictQuery.fromOptions(site: "s", plan: Self.plan, from: 0, to: nil, segments: [], includeBots: false,
                                             macro: nil, micros: nil, lookback: "30d")
            Issue.record("from and lookback together were accepted")
        } catch { #expect(error.field == "lookback") }
    }

    @Test func scoreDecaysEachCountedCompletionByItsAge() throws {
        var f = EngineFixture()
        f.event("pageview", "a", minute: 0, path: "/pricing")
        f.event("pageview", "a", minute: 1, path: "/pricing")   // same session: not a completion
        f.event("newsletter", "a", minute: 1440)                 // a day later: worth 1 (no value in the plan)
        f.event("pageview", "b", minute: 0)
        let asOf = EngineFixture.at(minute: 2880)
        let report = try EngagementScoreCalculator.compute(
            ScoreQuery(site: "s", plan: Self.plan, to: asOf, halfLifeMillis: 86_400_000, macro: "purchase"), in: f.table())
        // 5 × 0.5² + 1 × 0.5¹
        #expect(abs(report.top[0].score - 1.75) < 1e-12)
        #expect(report.top[0].micros == [MicroCount(name: "pricing", completions: 1), MicroCount(name: "newsletter", completions: 1)])
        #expect(report.persons == 2 && report.scoredPersons == 1)
        #expect(report.values.first { $0.name == "newsletter" }?.source == .default)
        // One scored person: the top bin of ten over (0, 1.75], which ends at the score itself.
        #expect(report.histogram.count == 10 && report.histogram.map(\.persons) == [0, 0, 0, 0, 0, 0, 0, 0, 0, 1])
        #expect(abs(report.histogram[9].minScore - 1.575) < 1e-12 && report.histogram[9].belowScore == 1.75)
    }

    /// Worked by hand: the highest score 10 makes bins of width 1; 0 is not scored; 10 falls in
    /// the last bin, which includes its upper end; 9.99 there too; 1.0 starts the second bin.
    @Test func scoreHistogramHasTenEqualBinsUpToTheHighestScore() {
        let bins = ScoreBin.bins([0, 0.5, 1.0, 2.5, 9.99, 10])
        #expect(bins.map(\.persons) == [1, 1, 1, 0, 0, 0, 0, 0, 0, 2])
        #expect(bins.map(\.minScore) == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] && bins.map(\.belowScore) == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
        #expect(ScoreBin.bins([]).isEmpty && ScoreBin.bins([0, 0]).isEmpty)
    }

    @Test func scoreRankingIsMeasuredAfterTheCutoff() throws {
        // x and y are warm before the cut-off (minute 100); only x buys after it; z bought before it.
        var f = EngineFixture()
        f.event("pageview", "x", minute: 0, path: "/pricing"); f.event("purchase", "x", minute: 150)
        f.event("newsletter", "y", minute: 0)
        f.event("pageview", "w", minute: 0)
        f.event("purchase", "z", minute: 50)
        let report = try EngagementScoreCalculator.compute(
            ScoreQuery(site: "s", plan: Self.plan, to: EngineFixture.at(minute: 200), cutoff: EngineFixture.at(minute: 100)), in: f.table())
        let ranking = try #require(report.ranking)
        #expect(ranking.persons == 3 && ranking.converted == 1)
        #expect(ranking.auc == 1)
    }

    @Test func audienceRulesApplyDidNotWithinAndMinScore() throws {
        let results = try AudienceCalculator.members(AudienceQuery(site: "s", plan: Self.plan), in: Self.fixture().table())
        let members = Dictionary(uniqueKeysWithValues: results.map { ($0.audience, Set($0.members.map(\.person))) })
        // warm: pricing and never purchase → p2 only. p1 and p3 bought.
        #expect(members["warm"] == [PersonLabel.fallback(2 * 2)])
        // recent_readers: newsletter in the hour before the last event (minute 70): p2 at 5 and p3 at 0 are too old.
        #expect(members["recent_readers"] == [])
        // keen: pricing and a score of at least 6; one pricing completion is worth under 5 by the end.
        #expect(members["keen"] == [])
        // mobile_pricing: only p2 viewed pricing on a phone.
        #expect(members["mobile_pricing"] == [PersonLabel.fallback(2 * 2)])
        #expect(results.map(\.rule) == ["did pricing, not purchase", "did newsletter, within 1h", "did pricing, score ≥ 6",
                                         "did pricing, segment device=mobile"])
    }

    /// numpy.quantile([1, 2, 3, 4, 10], [0.5, 0.9]) = [3.0, 7.6000000000000005]: warm from the
    /// median, hot from the 90th percentile; ten bins of width 1 up to the highest score.
    @Test func scoreBandsAreNumpysLinearQuantilesOfThePositiveScores() {
        let a = ScoreAggregates(ascending: [1, 2, 3, 4, 10])
        #expect(a.warmFrom == 3.0 && a.hotFrom == 7.6000000000000005)
        #expect(a.atLeastWarm == 3 && a.atLeastHot == 1 && a.scored == 5 && a.highest == 10)
        #expect(a.bins == [0, 1, 1, 1, 1, 0, 0, 0, 0, 1])
    }

    /// Three persons tied on score and a limit of two: the two whose labels come first as bytes
    /// (`v:amy`, `v:bob`), whatever order the scan found them in; the warmer one always first.
    @Test func tiesAtTheCutAreBrokenByLabel() throws {
        struct Names: PersonDirectory {
            func identities(of keys: [UInt32]) throws -> [UInt32: PersonIdentity] {
                let names: [UInt32: String] = [2: "zed", 4: "bob", 6: "amy", 8: "warm"]
                return Dictionary(uniqueKeysWithValues: keys.map { ($0, PersonIdentity(person: names[$0]!, user: nil, clickIds: [:])) })
            }
        }
        let ranked: [(key: UInt32, score: Double)] = [(8, 9), (2, 5), (4, 5), (6, 5)]
        let top = try PersonRanking.top(ranked, limit: 3, score: { $0.score }, key: { $0.key }, directory: Names())
        #expect(top.map(\.identity.person) == ["warm", "amy", "bob"])
        #expect(try PersonRanking.top(ranked, limit: 0, score: { $0.score }, key: { $0.key }, directory: Names()).isEmpty)
    }
}
