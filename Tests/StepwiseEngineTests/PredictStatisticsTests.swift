import Testing
@testable import StepwiseEngine

/// The tests and the model against values computed once with scipy (Fixtures/make_predict_fixtures.py).
@Suite struct PredictStatisticsTests {
    @Test func twoByTwoTestsMatchScipy() {
        for (a, b, c, d, z, fisher, fisherPreferred, lift, low, high) in PredictFixtures.tables {
            let table = TwoByTwo(a: a, b: b, c: c, d: d)
            #expect(abs(table.zTestPValue - z) <= 1e-9 * max(z, 1e-300) + 1e-15, "z-test of \(a),\(b),\(c),\(d)")
            #expect(abs(table.fisherPValue - fisher) <= 1e-7 * fisher + 1e-15, "Fisher of \(a),\(b),\(c),\(d)")
            #expect((table.preferredTest == .fisher) == fisherPreferred)
            #expect(table.pValue.0 == (fisherPreferred ? table.fisherPValue : table.zTestPValue))
            if let lift { #expect(abs(table.lift! - lift) < 1e-12) } else { #expect(table.lift == nil) }
            if let low, let high {
                #expect(abs(table.liftInterval![0] - low) < 1e-9 && abs(table.liftInterval![1] - high) < 1e-9)
            } else {
                #expect(table.liftInterval == nil)
            }
        }
    }

    @Test func logisticFitMatchesScipyMinimiser() throws {
        let rows = PredictFixtures.logisticRows.map { PatternCount(pattern: $0.0, persons: $0.1, converted: $0.2) }
        let fit = try #require(LogisticRegression.fit(rows, features: 3))
        #expect(abs(fit.intercept - PredictFixtures.logisticIntercept) < 1e-6)
        for j in 0..<3 {
            #expect(abs(fit.coefficients[j]! - PredictFixtures.logisticCoefficients[j]) < 1e-6, "coefficient \(j)")
            #expect(abs(fit.standardErrors[j]! - PredictFixtures.logisticStandardErrors[j]) < 1e-6, "standard error \(j)")
        }
    }

    @Test func constantFeatureGetsNoCoefficient() throws {
        // Bit 1 is never set: it cannot be weighed, and must not break the fit.
        let rows = [PatternCount(pattern: 0, persons: 100, converted: 5), PatternCount(pattern: 1, persons: 50, converted: 10)]
        let fit = try #require(LogisticRegression.fit(rows, features: 2))
        #expect(fit.coefficients[1] == nil && fit.coefficients[0] != nil)
        #expect(LogisticRegression.fit([PatternCount(pattern: 0, persons: 10, converted: 0)], features: 1) == nil)
    }

    @Test func aucCountsTiesAsHalfLikeMannWhitney() {
        let auc = RankAUC.auc(PredictFixtures.aucGroups.map { (score: $0.0, positives: $0.1, negatives: $0.2) })
        #expect(abs(auc! - PredictFixtures.auc) < 1e-12)
        #expect(RankAUC.auc([(score: 1, positives: 3, negatives: 0)]) == nil)
    }
}
