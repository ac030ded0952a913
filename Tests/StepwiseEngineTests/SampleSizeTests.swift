import Testing
@testable import StepwiseEngine

/// The experiment planner against the classic formula computed with scipy (Fixtures/make_sample_size_fixtures.py).
@Suite struct SampleSizeTests {
    @Test func normalQuantilesMatchScipy() {
        for (p, z) in SampleSizeFixtures.quantiles {
            #expect(abs(NormalDistribution.quantile(p) - z) < 1e-12, "\(p)")
        }
    }

    @Test func personsPerVariantFollowTheClassicFormula() throws {
        for (baseline, mde, power, alpha, n) in SampleSizeFixtures.cases {
            let plan = try SampleSize(baseline: baseline, relativeMde: mde, power: power, alpha: alpha, variants: 3, dailyPersons: 1000)
            #expect(abs(SampleSize.personsPerVariant(baseline, baseline * (1 + mde), power: power, alpha: alpha) - n) < 1e-6 * n)
            #expect(plan.personsPerVariant == Int(n.rounded(.up)))
            #expect(plan.totalPersons == 3 * plan.personsPerVariant)
            #expect(plan.days == (plan.totalPersons + 999) / 1000)
        }
    }

    @Test func impossiblePlansNameTheirField() throws {
        func field(_ make: () throws -> SampleSize) -> String? {
            do { _ = try make(); return nil } catch { return (error as? SampleSize.Invalid)?.field }
        }
        #expect(field { try SampleSize(baseline: 0, relativeMde: 0.1) } == "baseline")
        #expect(field { try SampleSize(baseline: 0.6, relativeMde: 1) } == "mde")
        #expect(field { try SampleSize(baseline: 0.1, relativeMde: 0.1, power: 1) } == "power")
        #expect(field { try SampleSize(baseline: 0.1, relativeMde: 0.1, variants: 1) } == "variants")
        #expect(field { try SampleSize(baseline: 0.1, relativeMde: 0.1, dailyPersons: 0) } == "daily_persons")
        #expect(field { try SampleSize(baseline: 0.1, relativeMde: 1e-300) } == "mde")   // no infinite sample size
        #expect(field { try SampleSize(baseline: 0.1, relativeMde: 0.1, variants: Int.max) } == "variants")
        #expect(try SampleSize.parseRelative("10%") == 0.1)
        #expect(try SampleSize.parseRelative("-0.05") == -0.05)
        #expect(throws: SampleSize.Invalid.self) { try SampleSize.parseRelative("ten") }
    }
}
