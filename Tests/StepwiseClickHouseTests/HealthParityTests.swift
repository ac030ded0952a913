import Foundation
import StepwiseClickHouse
import StepwiseCore
import StepwiseDemo
import StepwiseEngine
import StepwisePlan
import Testing

/// Tracking health on both backends over eight seeded weeks of a shop on a half-hour time zone
/// (so an hour can straddle two days), with the faults health exists to catch: the reports
/// must be identical, anomalies, traces, prop-type drift and bot share included.
@Suite(.serialized) struct HealthParityTests {
    /// Monday 2026-09-28T00:00Z: day 0.
    static let origin: Int64 = 1_790_553_600_000
    static let day: Int64 = 86_400_000
    static let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
    static let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
    static let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"

    static let planYAML = """
        site: h
        timezone: Asia/Kolkata
        conversions:
          product_view:
            kind: micro
            when: { event: product_view }
          cart:
            kind: micro
            when: { event: add_to_cart }
            denominator: { event: product_view }
          big_cart:
            kind: micro
            when: { event: add_to_cart, props: { price: { gte: 40 } } }
          purchase:
            kind: macro
            when: { event: purchase }
        funnels:
          checkout:
            steps: [{ event: pageview }, product_view, cart, purchase]
        health:
          history_weeks: 4
          ratios: [purchase/product_view]
        """

    /// Days 0 to 55, and a few events dated after the last judged moment. From day 50 carts
    /// stop on phones and `price` arrives as text; day 45 brings three times the visitors;
    /// day 52 a webdriver sends 600 page views; from day 51 a tenth of `coupon`s are null.
    static func events() -> [CanonicalEvent] {
        var random = SeededRandom(seed: 11)
        var out: [CanonicalEvent] = []
        for d in 0..<56 {
            var visitors = d % 7 >= 5 ? 180 : 300
            if d == 45 { visitors *= 3 }
            for v in 0..<visitors {
                let visitor = "d\(d)v\(v)"
                let draw = random.unit()
                let agent = draw < 0.4 ? iphone : (draw < 0.8 ? chrome : firefox)
                let hour = 6 + (random.unit() + random.unit()) * 8
                var t = origin + Int64(d) * day + Int64(hour * 3_600_000)
                func emit(_ name: String, _ props: [(String, JSONValue)] = [], id: String? = nil, visitor: String = visitor) {
                    out.append(CanonicalEvent(id: id, site: "h", name: name, visitor: visitor, timestamp: t, url: "https://h.example/",
                                              props: JSONObject(keys: props.map(\.0), values: props.map(\.1)), userAgent: agent))
                    t += 60_000
                }
                let coupon: JSONValue = d >= 51 && random.chance(0.1) ? .null : .string("spring")
                emit("pageview", [("tags", .array([.string("new")])), ("ab", .object(JSONObject(keys: ["v"], values: [.number(1)]))), ("coupon", coupon)])
                guard random.chance(0.6) else { continue }
                emit("product_view")
                guard random.chance(0.5) else { continue }
                if !(d >= 50 && agent == iphone) {
                    let price: JSONValue = d >= 50 ? .string("49.00") : .number(random.chance(0.5) ? 49 : 19)
                    // Now and then a retry: the same event id twice, counted once; every other
                    // one under a new visitor id (a cookieless salt that rotated meanwhile), which
                    // on the cluster is most likely another shard.
                    let id = random.chance(0.05) ? "cart-\(visitor)" : nil
                    emit("add_to_cart", [("price", price)], id: id)
                    if let id { t -= 60_000; emit("add_to_cart", [("price", price)], id: id, visitor: v % 2 == 0 ? visitor : visitor + "-next") }
                }
                guard random.chance(0.6) else { continue }
                emit("begin_checkout")
                guard random.chance(0.5) else { continue }
                emit("purchase")
            }
            // A crawler every day, a webdriver surge on day 52: bot traffic.
            for k in 0..<(d == 52 ? 600 : 3) {
                out.append(CanonicalEvent(site: "h", name: "pageview", visitor: "bot\(d)", timestamp: origin + Int64(d) * day + 3_600_000 + Int64(k) * 2_000,
                                          url: "https://h.example/", userAgent: d == 52 ? chrome : "Googlebot/2.1 (+http://www.google.com/bot.html)",
                                          webdriver: d == 52))
            }
        }
        out.append(CanonicalEvent(site: "h", name: "late_signup", visitor: "future", timestamp: origin + 60 * day, url: "https://h.example/", userAgent: chrome))
        return out
    }

    @Test(arguments: Topology.allCases) func healthReportsAreIdenticalOnBothBackends(_ topology: Topology) async throws {
        let world = try await ParityWorld("health", [.events(Self.events())], on: topology.server)
        let plan = try TrackingPlanLoader.load(yaml: Self.planYAML)
        let utcPlan = try TrackingPlanLoader.load(yaml: Self.planYAML.replacingOccurrences(of: "Asia/Kolkata", with: "UTC"))
        func query(_ plan: TrackingPlan, at now: Int64, days: Int = 14, weeks: Int? = nil, site: String = "h") -> HealthQuery {
            var query = HealthQuery(site: site, plan: plan, now: now)
            query.days = days
            if let weeks { query.historyWeeks = weeks }
            return query
        }
        let queries: [(String, HealthQuery)] = [
            ("day 53 whole", query(plan, at: Self.origin + 53 * Self.day)),
            ("day 53 part way, mid-hour", query(plan, at: Self.origin + 53 * Self.day + 14 * 3_600_000 + 1_800_000 + 123)),
            ("two weeks of history, thirty days listed", query(plan, at: Self.origin + 54 * Self.day, days: 30, weeks: 2)),
            ("UTC calendar", query(utcPlan, at: Self.origin + 53 * Self.day + 20 * 3_600_000)),
            ("after the spike", query(plan, at: Self.origin + 46 * Self.day, days: 3)),
            ("warming up", query(plan, at: Self.origin + 3 * Self.day)),
            ("before any event", query(plan, at: Self.origin - Self.day)),
            ("unknown site", query(plan, at: Self.origin + 53 * Self.day, site: "nobody.example")),
        ]
        for (name, query) in queries {
            let embedded = try await world.embedded.health(query)
            let clickhouse = try await world.clickhouse.health(query)
            #expect(embedded == clickhouse, "health \(name)\n\(embedded)\n\(clickhouse)")
        }
        // Something to agree about: the faults were found, on ClickHouse (`cart` names only its
        // event, so add_to_cart is judged once, as the definition).
        let report = try await world.clickhouse.health(queries[0].1)
        #expect(report.open.contains { $0.series == "cart" && $0.segment == "device=mobile" && $0.kind == .silent }, "\(report.open)")
        #expect(report.quality.propTypeDrift.contains { $0.event == "add_to_cart" && $0.key == "price" && $0.usualType == "number" && $0.newType == "string" },
                "\(report.quality.propTypeDrift)")
        #expect(report.quality.propTypeDrift.contains { $0.event == "pageview" && $0.key == "coupon" && $0.newType == "null" }, "\(report.quality.propTypeDrift)")
        #expect(report.series.contains { $0.series == "product_view/pageview" }, "the funnel's event step is a ratio series")
        let surge = try await world.clickhouse.health(query(plan, at: Self.origin + 53 * Self.day, days: 3))
        #expect(surge.open.contains { $0.kind == .botShare } || surge.recent.contains { $0.kind == .botShare }, "\(surge.open) \(surge.recent)")
        #expect(try await world.clickhouse.health(queries[7].1).status == .noData)
    }
}
