import Foundation
@testable import StepwiseClickHouse
import StepwiseEngine
import StepwisePlan
import Testing

/// The SQL Stepwise sends, as exact text, with no database: a change to a query shows up here
/// as a diff to read, before the parity suite says whether the answers moved.
@Suite struct GeneratedSQLTests {
    /// The expected text; `STEPWISE_WRITE_SQL_FIXTURES=1 swift test --filter GeneratedSQLTests` rewrites
    /// the files from the current output, for a reviewed change.
    static func expect(_ text: String, fixture name: String) throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)")
        if ProcessInfo.processInfo.environment["STEPWISE_WRITE_SQL_FIXTURES"] == "1" { try text.write(to: url, atomically: true, encoding: .utf8) }
        #expect(text == (try String(contentsOf: url, encoding: .utf8)), "\(name)")
    }

    @Test func planConditionsCompileToTheEnginesComparisons() throws {
        func prop(_ op: PropCondition.Operator, _ operand: PropCondition.Operand) -> String {
            MatcherSQL.prop(PropCondition(key: "plan", op: op, operand: operand))
        }
        let kind = "prop_kinds[indexOf(prop_keys, 'plan')]", text = "prop_values[indexOf(prop_keys, 'plan')]"
        let number = "prop_numbers[indexOf(prop_keys, 'plan')]"
        #expect(prop(.eq, .string("pro")) == "((\(kind) IN (1, 3) AND \(text) = 'pro'))")
        // A string that reads as a number also equals that number.
        #expect(prop(.eq, .string("49")) == "((\(kind) IN (1, 3) AND \(text) = '49') OR (\(kind) = 2 AND \(number) = toFloat64(49)))")
        #expect(prop(.eq, .bool(true)) == "(\(kind) = 3 AND \(text) = 'true')")
        // A missing property satisfies only ne.
        #expect(prop(.ne, .number(1.5)) == "(\(kind) = 0 OR NOT (\(kind) IN (1, 2) AND \(number) = toFloat64(1.5)))")
        #expect(prop(.gte, .number(10)) == "(\(kind) IN (1, 2) AND \(number) >= toFloat64(10))")
        #expect(prop(.gt, .string("x")) == "0")
        #expect(prop(.in, .list([.string("a"), .number(2)])) == "(((\(kind) IN (1, 3) AND \(text) = 'a')) OR (\(kind) IN (1, 2) AND \(number) = toFloat64(2)))")
        #expect(prop(.contains, .string("o'k")) == "(\(kind) = 1 AND position(\(text), 'o\\'k') > 0)")
        #expect(prop(.matches, .string("^p.o$")) == "(\(kind) = 1 AND match(\(text), '^p.o$'))")
        var matcher = EventMatcher(event: "signup")
        matcher.path = try Glob("/pricing*")
        matcher.referrer = try Glob("*.google.[a-z]?")
        #expect(MatcherSQL.condition(matcher) == #"name = 'signup' AND match(path, '(?s)\\A/pricing.*\\z') AND (referrer != '' AND match(referrer, '(?s)\\A.*\\x{2e}google\\x{2e}[a-z].\\z'))"#)
    }

    @Test func globsBecomeAnchoredExpressionsThatMatchTheSame() throws {
        #expect(try Glob("/blog/*").regularExpression == #"(?s)\A/blog/.*\z"#)
        #expect(try Glob("[!0-9]?.html").regularExpression == #"(?s)\A[^0-9].\x{2e}html\z"#)
        #expect(try Glob("a\\*b").regularExpression == #"(?s)\Aa\x{2a}b\z"#)
    }

    @Test func eventCountsQueryText() throws {
        let query = EventCountsQuery(site: "shop.example", from: 1_000, to: 2_000)
        try Self.expect(EventCountsSQL(query: query, schema: ClickHouseSchema(database: "stepwise")).text, fixture: "event-counts.sql")
    }

    @Test func funnelQueryText() throws {
        var query = try FunnelQuery(site: "shop.example", stepNames: ["view", "cart", "buy"], plan: nil, windowMillis: 3_600_000,
                                    order: .strict, exclusions: ["refund:cart:buy"])
        query.unit = .session
        query.breakdown = .channel
        query.segments = [try Segment(parsing: "device=mobile")]
        try Self.expect(FunnelSQL(query: query, schema: ClickHouseSchema(database: "stepwise")).text, fixture: "funnel-strict.sql")
    }

    @Test func ratesQueryText() throws {
        let plan = try TrackingPlanLoader.load(yaml: """
            site: shop.example
            timezone: Europe/Berlin
            conversions:
              view: { kind: micro, when: { event: view }, count: once_per_session }
              cart: { kind: micro, when: { event: cart, nth_in_session: 2 }, denominator: { event: view, path: "/p*" } }
              buy: { kind: macro, when: { event: buy, returned_within: 1d }, value: { prop: revenue }, count: once_per_person }
            funnels:
              checkout: { steps: [view, cart, buy] }
            """)
        var query = RatesQuery(site: "shop.example", plan: plan, from: 1_000, to: 2_000, interval: .week)
        query.segments = [try Segment(parsing: "channel=direct"), try Segment(parsing: "device=mobile")]
        try Self.expect(RatesSQL(query: query, schema: ClickHouseSchema(database: "stepwise")).text, fixture: "rates.sql")
    }

    @Test func predictQueryText() throws {
        let plan = try TrackingPlanLoader.load(yaml: """
            site: shop.example
            conversions:
              signup: { kind: micro, when: { event: signup }, count: once_per_person }
              pricing: { kind: micro, when: { event: pageview, path: /pricing, returned_within: 7d } }
              purchase: { kind: macro, when: { event: purchase } }
            """)
        let query = PredictiveValueCalculator.resolved(PredictQuery(site: "shop.example", plan: plan, macro: "purchase"), lastEvent: 1_800_000_000_000)
        let (macro, micros) = try query.resolve()
        try Self.expect(PredictSQL(query: query, macro: macro, micros: micros, schema: ClickHouseSchema(database: "stepwise")).text,
                        fixture: "predict.sql")
    }

    @Test func experimentQueryText() throws {
        let plan = try TrackingPlanLoader.load(yaml: """
            site: shop.example
            conversions:
              cta_click: { kind: micro, when: { event: cta_click } }
              purchase: { kind: macro, when: { event: purchase }, value: { prop: revenue } }
            experiments:
              cta: { variants: { control: 50, bold: 50 }, primary: cta_click, guardrails: [purchase] }
            """)
        let query = ExperimentQuery(site: "shop.example", plan: plan, experiment: "cta", from: 1_000)
        try Self.expect(ExperimentSQL(query: query, scan: try ExperimentCalculator.scan(query), schema: ClickHouseSchema(database: "stepwise")).text,
                        fixture: "experiment.sql")
    }

    @Test func pathsQueryText() throws {
        let plan = try TrackingPlanLoader.load(yaml: """
            site: shop.example
            conversions:
              pricing: { kind: micro, when: { event: pageview, path: /pricing } }
              demo: { kind: micro, when: { event: demo_request } }
              purchase: { kind: macro, when: { event: purchase } }
            """)
        var query = PathsCalculator.resolved(PathsQuery(site: "shop.example", plan: plan, macro: "purchase"), lastEvent: 1_800_000_000_000)
        query.maxLength = 4
        try Self.expect(PathsSQL(query: query, macro: 2, schema: ClickHouseSchema(database: "stepwise")).text, fixture: "paths.sql")
    }

    @Test func volumesQueryText() throws {
        let plan = try TrackingPlanLoader.load(yaml: """
            site: shop.example
            timezone: Europe/Berlin
            conversions:
              signup: { kind: micro, when: { event: signup, props: { plan: pro } }, denominator: { event: pageview, path: /pricing } }
            """)
        let layout = try VolumeReader.layout(plan: plan, interval: .day, from: 1_793_577_600_000, to: 1_793_577_600_000 + 7 * 86_400_000,
                                             segment: try Segment(parsing: "device=mobile"))
        try Self.expect(VolumesSQL(site: "shop.example", plan: plan, layout: layout, schema: ClickHouseSchema(database: "stepwise")).text,
                        fixture: "volumes.sql")
    }

    @Test func healthQueryText() throws {
        let plan = try TrackingPlanLoader.load(yaml: """
            site: shop.example
            timezone: Asia/Kolkata
            conversions:
              signup: { kind: micro, when: { event: signup, props: { plan: pro } }, denominator: { event: pageview, path: /pricing } }
            """)
        let sql = HealthSQL(query: HealthQuery(site: "shop.example", plan: plan, now: 1_793_577_600_000), schema: ClickHouseSchema(database: "stepwise"))
        let facts = ClickHouseHealthFacts(client: ClickHouseClient(try ClickHouseEndpoint(url: "http://127.0.0.1:8123", database: "stepwise")))
        try Self.expect([sql.traffic, sql.grid, sql.propTypes, facts.sql(site: "shop.example", from: 1_792_368_000_000)].joined(separator: "\n\n"),
                        fixture: "health.sql")
    }

    @Test func scoreQueryText() throws {
        let plan = try TrackingPlanLoader.load(yaml: """
            site: shop.example
            conversions:
              pricing: { kind: micro, when: { event: pageview, path: /pricing }, count: once_per_session, value: 2.5 }
              quote: { kind: micro, when: { event: quote }, value: { prop: amount } }
              purchase: { kind: macro, when: { event: purchase } }
            """)
        let query = ScoreQuery(site: "shop.example", plan: plan, halfLifeMillis: 86_400_000)
        let sql = ScoreSQL(query: query, asOf: 1_800_000_000_000, cutoff: 1_799_395_200_000, macro: 2,
                           weights: ScoreWeights(plan: plan, halfLifeMillis: 86_400_000), schema: ClickHouseSchema(database: "stepwise"))
        try Self.expect(sql.summary + "\n\n" + sql.top(10), fixture: "score.sql")
    }

    @Test func audienceQueryText() throws {
        let plan = try TrackingPlanLoader.load(yaml: """
            site: shop.example
            conversions:
              pricing: { kind: micro, when: { event: pageview, path: /pricing } }
              purchase: { kind: macro, when: { event: purchase } }
            audiences:
              warm: { did: [pricing], not: [purchase], within: 30d, min_score: 0.75 }
            """)
        let sql = AudienceSQL(query: AudienceQuery(site: "shop.example", plan: plan), asOf: 1_800_000_000_000, audiences: plan.audiences,
                              schema: ClickHouseSchema(database: "stepwise"))
        try Self.expect(sql.sizes + "\n\n" + sql.members(0, limit: 50), fixture: "audience.sql")
    }

    @Test func attributionQueryText() throws {
        let plan = try TrackingPlanLoader.load(yaml: """
            site: shop.example
            conversions:
              pricing: { kind: micro, when: { event: pageview, path: /pricing } }
              purchase: { kind: macro, when: { event: purchase }, value: { prop: revenue } }
            """)
        var query = AttributionQuery(site: "shop.example", plan: plan, macro: "purchase", from: 1_793_577_600_000)
        query.lookbackMillis = 7 * 86_400_000
        let (macro, micros) = try AttributionCalculator.definitions(of: query)
        let sql = AttributionSQL(query: query, macro: macro, micros: micros, schema: ClickHouseSchema(database: "stepwise"))
        try Self.expect(sql.persons + "\n\n" + sql.credits, fixture: "attribution.sql")
    }

    @Test func schemaText() throws {
        try Self.expect(ClickHouseSchema(database: "stepwise").script, fixture: "schema.sql")
        try Self.expect(ClickHouseSchema(database: "stepwise", cluster: "main").script, fixture: "schema-cluster.sql")
    }
}
