import Testing
import StepwiseCore
import StepwisePlan
@testable import StepwiseEngine

/// Properties every funnel answer must have, over seeded random worlds (a few hundred persons,
/// events of five step names and five others, across sessions and days).
@Suite struct FunnelPropertyTests {
    static let steps = ["view", "cart", "checkout", "pay", "done"]
    static let others = ["scroll", "hover", "chat", "search", "share"]

    static func world(seed: UInt64, noise: Bool, into fixture: inout EngineFixture) {
        var random = SplitMix(seed: seed)
        var other = SplitMix(seed: ~seed)   // the noise draws apart, so both worlds have the same step events
        for person in 0..<300 {
            var minute = Double(Int.random(in: 0...20_000, using: &random))
            for _ in 0..<Int.random(in: 1...12, using: &random) {
                minute += [0.5, 3, 45, 600, 3000][Int.random(in: 0...4, using: &random)]
                let name = steps[Int.random(in: 0...4, using: &random)]
                fixture.event(name, "p\(person)", minute: minute, device: Bool.random(using: &random) ? .mobile : .desktop)
                if Bool.random(using: &other) {
                    let name = others[Int.random(in: 0...4, using: &other)]
                    if noise { fixture.event(name, "p\(person)", minute: minute + 0.1) }
                }
            }
        }
    }

    static func funnel(_ table: EventTable, order: FunnelQuery.Order, window: Int64? = nil, unit: FunnelQuery.Unit = .person,
                       breakdown: Segment.Dimension? = nil) throws -> FunnelReport {
        var query = try FunnelQuery(site: "s", stepNames: steps, plan: nil, windowMillis: window, order: order)
        query.unit = unit
        query.breakdown = breakdown
        return FunnelCalculator.compute(query, in: table)
    }

    @Test(arguments: [UInt64(1), 2, 3, 4, 5, 6, 7, 8])
    func countsNeverGrowFromOneStepToTheNext(seed: UInt64) throws {
        var fixture = EngineFixture()
        Self.world(seed: seed, noise: true, into: &fixture)
        let table = fixture.table()
        for order in [FunnelQuery.Order.ordered, .strict, .any] {
            for unit in [FunnelQuery.Unit.person, .session] {
                for window in [nil, Int64(3_600_000)] {
                    let report = try Self.funnel(table, order: order, window: window, unit: unit)
                    let counts = report.steps.map(\.count)
                    #expect(zip(counts, counts.dropFirst()).allSatisfy { $0 >= $1 }, "\(order) \(unit) \(String(describing: window)): \(counts)")
                    #expect(report.steps.allSatisfy { $0.dropped >= 0 })
                }
            }
        }
    }

    @Test(arguments: [UInt64(11), 12, 13, 14, 15, 16])
    func eventsOfUnrelatedNamesNeverChangeANonStrictFunnel(seed: UInt64) throws {
        var plain = EngineFixture(), noisy = EngineFixture()
        Self.world(seed: seed, noise: false, into: &plain)
        Self.world(seed: seed, noise: true, into: &noisy)
        for order in [FunnelQuery.Order.ordered, .any] {
            let a = try Self.funnel(plain.table(), order: order, window: 86_400_000)
            let b = try Self.funnel(noisy.table(), order: order, window: 86_400_000)
            #expect(a.steps.map(\.count) == b.steps.map(\.count), "\(order)")
        }
    }

    @Test(arguments: [UInt64(21), 22, 23, 24])
    func orderingConstraintsOnlyEverRemoveCompletions(seed: UInt64) throws {
        var fixture = EngineFixture()
        Self.world(seed: seed, noise: true, into: &fixture)
        let table = fixture.table()
        let strict = try Self.funnel(table, order: .strict).steps.map(\.count)
        let ordered = try Self.funnel(table, order: .ordered).steps.map(\.count)
        let any = try Self.funnel(table, order: .any).steps.map(\.count)
        let windowed = try Self.funnel(table, order: .ordered, window: 600_000).steps.map(\.count)
        for k in Self.steps.indices {
            #expect(strict[k] <= ordered[k] && ordered[k] <= any[k], "step \(k): \(strict) \(ordered) \(any)")
            #expect(windowed[k] <= ordered[k])
        }
        // Everyone who did the first step entered under either ordered rule; any order also
        // lets in those who began elsewhere.
        #expect(strict[0] == ordered[0] && any[0] >= ordered[0])
    }

    @Test(arguments: [UInt64(31), 32, 33])
    func aBreakdownPartitionsTheFunnel(seed: UInt64) throws {
        var fixture = EngineFixture()
        Self.world(seed: seed, noise: true, into: &fixture)
        let report = try Self.funnel(fixture.table(), order: .ordered, breakdown: .device)
        let rows = try #require(report.breakdown)
        for k in Self.steps.indices {
            #expect(rows.reduce(0) { $0 + $1.steps[k].count } == report.steps[k].count, "step \(k)")
        }
    }
}
