import StepwiseCore
import StepwisePlan
import Testing
@testable import StepwiseEngine

/// Experiment statistics against scipy (Fixtures/make_experiment_fixtures.py) and the analysis
/// on a hand-worked site.
@Suite struct ExperimentTests {
    @Test func tailsMatchScipy() {
        for (t, df, p) in ExperimentFixtures.studentTails {
            #expect(abs(SpecialFunctions.studentTwoSided(t, df: df) - p) < 1e-10, "t \(t) df \(df)")
        }
        for (x, df, p) in ExperimentFixtures.chiSquareTails {
            #expect(abs(SpecialFunctions.chiSquareSurvival(x, df: df) - p) < 1e-10, "chi2 \(x) df \(df)")
        }
    }

    @Test func sampleRatioCheckMatchesScipyChiSquare() {
        for (observed, weights, chi, p) in ExperimentFixtures.sampleRatios {
            let check = ExperimentCalculator.sampleRatioCheck(observed: observed, weights: weights)
            #expect(abs(check.chiSquare - chi) < 1e-9 && abs(check.pValue - p) < 1e-10, "\(observed)")
            #expect(check.mismatch == (p < 0.001))
        }
    }

    @Test func welchMatchesScipy() throws {
        for (control, treatment, p, critical) in ExperimentFixtures.welch {
            let c = try #require(VariantComparison.means(control: control, treatment: treatment))
            #expect(abs(c.pValue - p) < 1e-9)
            let se = (control.2 / Double(control.0) + treatment.2 / Double(treatment.0)).squareRoot()
            #expect(abs(c.absoluteCi95[1] - c.absoluteLift - critical * se) < 1e-9)
            #expect(c.test == .welchT)
        }
    }

    @Test func proportionsGiveChanceToBeatAndAnAlwaysValidInterval() throws {
        for (control, treatment, chance, half) in ExperimentFixtures.proportions {
            let c = try #require(VariantComparison.proportions(control: control, treatment: treatment))
            #expect(abs(c.chanceToBeatControl - chance) < 1e-12)
            #expect(abs((c.sequentialCi95[1] - c.sequentialCi95[0]) / 2 - half) < 1e-12)
            // Peeking-safe means wider than the fixed-sample interval.
            #expect(c.sequentialCi95[0] < c.absoluteCi95[0] && c.sequentialCi95[1] > c.absoluteCi95[1])
            let table = TwoByTwo(a: treatment.0, b: treatment.1 - treatment.0, c: control.0, d: control.1 - control.0)
            #expect(c.pValue == table.zTestPValue)
        }
    }

    /// An A/A split has no effect: about 5 % of seeded repeats may call one at p < 0.05, and
    /// the always-valid interval excludes zero no more often than the fixed one.
    @Test func anAASplitShowsNoEffectInAbout95PercentOfRepeats() throws {
        var random = SplitMix(seed: 42)
        var fixed = 0, sequential = 0
        let repeats = 400, persons = 2000
        for _ in 0..<repeats {
            let a = (0..<persons).reduce(0) { n, _ in n + (random.unit() < 0.1 ? 1 : 0) }
            let b = (0..<persons).reduce(0) { n, _ in n + (random.unit() < 0.1 ? 1 : 0) }
            let c = try #require(VariantComparison.proportions(control: (a, persons), treatment: (b, persons)))
            if c.pValue < 0.05 { fixed += 1 }
            if c.sequentialCi95[0] > 0 || c.sequentialCi95[1] < 0 { sequential += 1 }
        }
        // 400 × 5 % = 20 expected; binomial 99.9 % bounds are about 7 and 36.
        #expect((7...36).contains(fixed), "\(fixed) of \(repeats) A/A repeats were significant")
        #expect(sequential <= fixed)
    }

    /// Persons (minutes after the origin; `cta` is the primary, `purchase` the guardrail):
    ///
    ///     c1  0 cta, 1 exposure control, 2 cta            → control, converted (the cta at 0 is before exposure)
    ///     c2  0 exposure control                          → control, not converted
    ///     c3  0 cta                                       → never exposed: not in the test
    ///     t1  0 exposure bold, 5 cta, 6 purchase (40)     → bold, converted, revenue 40
    ///     t2  0 exposure bold, 1 purchase (10)            → bold, cta no, purchase yes, revenue 10
    ///     m1  0 exposure control, 1 exposure bold, 2 cta  → saw both: excluded
    static let plan = try! TrackingPlanLoader.load(yaml: """
        site: s
        conversions:
          cta:
            kind: micro
            when: { event: cta }
          purchase:
            kind: macro
            when: { event: purchase }
            value: { prop: revenue }
        experiments:
          button:
            variants: { control: 50, bold: 50 }
            primary: cta
            guardrails: [purchase]
        """, file: "test.yml")

    @Test func countsOnlyExposedPersonsAndTheirMetricsAfterExposure() throws {
        var f = EngineFixture()
        func expose(_ visitor: String, _ variant: String, _ minute: Double) {
            f.event("$exposure", visitor, minute: minute, props: #"{"experiment":"button","variant":"\#(variant)"}"#)
        }
        f.event("cta", "c1", minute: 0); expose("c1", "control", 1); f.event("cta", "c1", minute: 2)
        expose("c2", "control", 0)
        f.event("cta", "c3", minute: 0)
        expose("t1", "bold", 0); f.event("cta", "t1", minute: 5); f.event("purchase", "t1", minute: 6, props: #"{"revenue":40}"#)
        expose("t2", "bold", 0); f.event("purchase", "t2", minute: 1, props: #"{"revenue":10}"#)
        expose("m1", "control", 0); expose("m1", "bold", 1); f.event("cta", "m1", minute: 2)
        let report = try ExperimentCalculator.compute(ExperimentQuery(site: "s", plan: Self.plan, experiment: "button"), in: f.table())
        #expect(report.control == "control")
        #expect(report.variants.map(\.persons) == [2, 2])
        #expect(report.mixedExposures == 1)
        let cta = try #require(report.metrics.first { $0.name == "cta" })
        #expect(cta.role == .primary && cta.variants.map(\.conversions) == [1, 1])
        let purchase = try #require(report.metrics.first { $0.name == "purchase" })
        #expect(purchase.variants.map(\.conversions) == [0, 2])
        let revenue = try #require(report.metrics.first { $0.role == .revenue })
        #expect(revenue.variants.map(\.mean) == [0, 25])
        #expect(revenue.variants[1].comparison?.absoluteLift == 25)
        #expect(report.sampleRatio.mismatch == false)
        #expect(report.verdict == .keepRunning)
        #expect(throws: PredictQuery.Invalid.self) {
            try ExperimentCalculator.compute(ExperimentQuery(site: "s", plan: Self.plan, experiment: "ghost"), in: f.table())
        }
    }

    @Test func primaryUpWhileTheGuardrailFallsIsALoudWarning() {
        // 10 % → 13 % on the primary, 5 % → 3.5 % on the guardrail, 5000 persons each.
        var tally = ExperimentCalculator.Tally(variants: 2, metrics: 2)
        tally.persons = [5000, 5000]
        tally.conversions = [500, 250, 650, 175]
        let experiment = Self.plan.experiments[0]
        let report = ExperimentCalculator.report(query: ExperimentQuery(site: "s", plan: Self.plan, experiment: "button"), experiment: experiment,
                                                 tally: tally, metricNames: ["cta", "purchase"], hasRevenue: false)
        #expect(report.verdict == .doNotShip)
        #expect(report.warnings.count == 1 && report.warnings[0].contains("purchase falls"))
        tally.conversions = [500, 250, 650, 250]
        let clean = ExperimentCalculator.report(query: ExperimentQuery(site: "s", plan: Self.plan, experiment: "button"), experiment: experiment,
                                                tally: tally, metricNames: ["cta", "purchase"], hasRevenue: false)
        #expect(clean.verdict == .ship && clean.warnings.isEmpty)
        tally.persons = [5000, 5600]
        let skewed = ExperimentCalculator.report(query: ExperimentQuery(site: "s", plan: Self.plan, experiment: "button"), experiment: experiment,
                                                 tally: tally, metricNames: ["cta", "purchase"], hasRevenue: false)
        #expect(skewed.verdict == .invalid && skewed.sampleRatio.mismatch)
    }
}

/// A tiny seeded generator (SplitMix64) for the A/A repeats and the health series.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
