import StepwiseCore
import StepwisePlan
import Testing
@testable import StepwiseEngine

/// Funnels worked by hand, one rule at a time (minutes after the fixture's origin).
@Suite struct FunnelCalculatorTests {
    static func counts(
        _ world: EngineFixture, _ steps: [String] = ["a", "b", "c"], windowMinutes: Int64? = nil, order: FunnelQuery.Order = .ordered,
        exclude: [String] = [], per: FunnelQuery.Unit = .person
    ) throws -> [Int] {
        try report(world, steps, windowMinutes: windowMinutes, order: order, exclude: exclude, per: per).steps.map(\.count)
    }

    static func report(
        _ world: EngineFixture, _ steps: [String] = ["a", "b", "c"], windowMinutes: Int64? = nil, order: FunnelQuery.Order = .ordered,
        exclude: [String] = [], per: FunnelQuery.Unit = .person, breakdown: String? = nil
    ) throws -> FunnelReport {
        var query = try FunnelQuery(site: "s", stepNames: steps, plan: nil, windowMillis: windowMinutes.map { $0 * 60_000 }, order: order,
                                    exclusions: exclude)
        query.unit = per
        query.breakdown = breakdown.flatMap(Segment.Dimension.init(name:))
        return FunnelCalculator.compute(query, in: world.table())
    }

    static func world(_ script: [(String, String, Double)]) -> EngineFixture {
        var world = EngineFixture()
        for (name, visitor, minute) in script { world.event(name, visitor, minute: minute) }
        return world
    }

    @Test func theLevelIsTheFurthestStepReachedInOrder() throws {
        let world = Self.world([
            ("a", "p1", 0), ("b", "p1", 1), ("c", "p1", 2),
            ("a", "p2", 0), ("c", "p2", 1), ("b", "p2", 2),  // c before b does not count
            ("b", "p3", 0), ("a", "p3", 1),
            ("c", "p4", 0),
        ])
        #expect(try Self.counts(world) == [3, 2, 1])
        let report = try Self.report(world)
        #expect(report.steps.map(\.dropped) == [0, 1, 1])
        #expect(report.steps[1].rateFromPrevious == 2.0 / 3)
        #expect(report.biggestLeak == FunnelReport.Leak(from: "a", to: "b", lost: 1, rate: 2.0 / 3))  // ties: the earlier transition
        #expect(report.lowestRate == FunnelReport.Leak(from: "b", to: "c", lost: 1, rate: 0.5))
    }

    @Test func theWindowIsInclusiveAndEveryEntryOpensANewAttempt() throws {
        #expect(try Self.counts(Self.world([("a", "p", 0), ("b", "p", 10)]), ["a", "b"], windowMinutes: 10) == [1, 1])
        #expect(try Self.counts(Self.world([("a", "p", 0), ("b", "p", 10.0001)]), ["a", "b"], windowMinutes: 10) == [1, 0])
        // The first attempt expires; the re-entry at 20 converts.
        #expect(try Self.counts(Self.world([("a", "p", 0), ("a", "p", 20), ("b", "p", 25)]), ["a", "b"], windowMinutes: 10) == [1, 1])
    }

    @Test func tiesTakeACanonicalOrderAndAnEventFillsOneStepOfAnAttempt() throws {
        // b arrives first but has the same timestamp as a: it still counts, whatever the storage order.
        #expect(try Self.counts(Self.world([("b", "p", 5), ("a", "p", 5)]), ["a", "b"]) == [1, 1])
        #expect(try Self.counts(Self.world([("a", "p", 5), ("b", "p", 5)]), ["a", "b"]) == [1, 1])
        // Two consecutive steps with one definition need two events.
        #expect(try Self.counts(Self.world([("a", "p", 0), ("b", "p", 1)]), ["a", "a", "b"]) == [1, 0, 0])
        #expect(try Self.counts(Self.world([("a", "p", 0), ("a", "p", 1), ("b", "p", 2)]), ["a", "a", "b"]) == [1, 1, 1])
    }

    @Test func strictStopsAtAnyOtherEventAndAnyOrderCountsDistinctSteps() throws {
        let interrupted = Self.world([("a", "p", 0), ("x", "p", 1), ("b", "p", 2)])
        #expect(try Self.counts(interrupted, ["a", "b"], order: .strict) == [1, 0])
        #expect(try Self.counts(interrupted, ["a", "b"], order: .ordered) == [1, 1])
        #expect(try Self.counts(Self.world([("a", "p", 0), ("b", "p", 1)]), ["a", "b"], order: .strict) == [1, 1])
        let shuffled = Self.world([("c", "p", 0), ("a", "p", 1), ("b", "p", 2)])
        #expect(try Self.counts(shuffled, order: .any) == [1, 1, 1])
        #expect(try Self.counts(shuffled, order: .ordered) == [1, 1, 0])
        #expect(try Self.counts(Self.world([("c", "p", 0), ("a", "p", 11)]), windowMinutes: 10, order: .any) == [1, 0, 0])
    }

    @Test func exclusionsVoidTheAttemptTheyInterrupt() throws {
        let voided = Self.world([("a", "p", 0), ("b", "p", 1), ("r", "p", 2), ("c", "p", 3)])
        #expect(try Self.counts(voided, exclude: ["r:b:c"]) == [0, 0, 0])  // all attempts voided: in no step
        #expect(try Self.counts(voided, exclude: ["r"]) == [0, 0, 0])
        #expect(try Self.counts(voided, exclude: ["r:a:b"]) == [1, 1, 1])  // b was already reached
        // A later clean attempt still counts.
        let retried = Self.world([("a", "p", 0), ("b", "p", 1), ("r", "p", 2), ("a", "p", 10), ("b", "p", 11), ("c", "p", 12)])
        #expect(try Self.counts(retried, exclude: ["r:b:c"]) == [1, 1, 1])
        // Before the step it follows, or after the window closed, an exclusion voids nothing.
        #expect(try Self.counts(Self.world([("r", "p", 0), ("a", "p", 1), ("b", "p", 2)]), ["a", "b"], exclude: ["r"]) == [1, 1])
        #expect(try Self.counts(Self.world([("a", "p", 0), ("b", "p", 1), ("r", "p", 10)]), windowMinutes: 5, exclude: ["r:b:c"]) == [1, 1, 0])
        #expect(throws: FunnelQuery.Invalid.self) { try Self.counts(voided, exclude: ["r:c:a"]) }
        #expect(throws: FunnelQuery.Invalid.self) { try Self.counts(voided, order: .any, exclude: ["r"]) }
        #expect(throws: FunnelQuery.Invalid.self) { try Self.counts(voided, ["a", "", "b"]) }
    }

    @Test func perSessionCountsEachSessionOnItsOwn() throws {
        let world = Self.world([("a", "p", 0), ("b", "p", 1), ("c", "p", 100), ("a", "q", 0)])
        #expect(try Self.counts(world, windowMinutes: 1440) == [2, 1, 1])
        let sessions = try Self.report(world, windowMinutes: 1440, per: .session)
        #expect(sessions.steps.map(\.count) == [2, 1, 0])
        #expect(String(decoding: try ReportEncoding.encoder().encode(sessions.steps[0]), as: UTF8.self).contains(#""sessions":2"#))
    }

    @Test func timesBetweenStepsBreakdownsAndTrend() throws {
        var world = EngineFixture()
        world.event("a", "p1", minute: 0); world.event("b", "p1", minute: 1); world.event("c", "p1", minute: 3)
        world.event("a", "p2", minute: 0, device: .mobile); world.event("b", "p2", minute: 3, device: .mobile)
        let report = try Self.report(world, breakdown: "device")
        #expect(report.steps[1].medianSecondsFromPrevious == 120)  // 60 s and 180 s
        #expect(report.steps[1].p90SecondsFromPrevious == 168)  // numpy.percentile([60, 180], 90)
        #expect(report.steps[2].medianSecondsFromPrevious == 120)
        #expect(report.breakdown?.map(\.value) == ["desktop", "mobile"])
        #expect(report.breakdown?.map { $0.steps.map(\.count) } == [[1, 1, 1], [1, 1, 0]])
        #expect(report.trend.map(\.period) == ["2026-11-02"])
        #expect(report.trend.map(\.entered) == [2])
        #expect(report.trend.map(\.completed) == [1])
    }
}
