import Foundation
import StepwiseClickHouse
import StepwiseCore
import StepwiseDemo
import StepwiseEngine
import StepwisePlan
import Testing

@Suite struct SmokeTests {
    @Test func demoFunnelAgrees() async throws {
        var events: [CanonicalEvent] = []
        _ = DemoGenerator(profile: .shop, seed: 7, visitors: 300, end: 1_800_000_000_000).generate { events.append($0) }
        let world = try await ParityWorld("smoke", [.events(events)])
        let plan = try TrackingPlanLoader.load(yaml: DemoSiteProfile.shop.planYAML)
        let counts = EventCountsQuery(site: "shop.example")
        let a = try await world.embedded.eventCounts(counts)
        let b = try await world.clickhouse.eventCounts(counts)
        #expect(a == b)
        for funnel in plan.funnels {
            let query = try FunnelQuery(site: "shop.example", funnel: funnel, plan: plan)
            let e = try await world.embedded.funnel(query)
            let c = try await world.clickhouse.funnel(query)
            #expect(e == c)
        }
    }
}
