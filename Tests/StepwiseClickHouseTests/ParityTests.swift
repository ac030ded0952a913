import Foundation
import StepwiseClickHouse
import StepwiseCore
import StepwiseDemo
import StepwiseEngine
import StepwisePlan
import Testing

/// Every pushed-down report, on both backends, over the same events: the answers must be
/// identical (`==` on the reports: counts, rates, quantiles, leaks, breakdowns, trends).
@Suite(.serialized) struct ParityTests {
    static let t0: Int64 = 1_793_614_503_120
    static let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
    static let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"

    static func event(
        _ name: String, _ visitor: String, minute: Double, id: String? = nil, user: String? = nil, path: String = "/",
        referrer: String? = nil, props: [(String, JSONValue)] = [], agent: String = chrome, webdriver: Bool = false
    ) -> CanonicalEvent {
        CanonicalEvent(id: id, site: "s", name: name, visitor: visitor, user: user, timestamp: t0 + Int64(minute * 60_000),
                       url: "https://s.example\(path)", referrer: referrer, props: JSONObject(keys: props.map(\.0), values: props.map(\.1)),
                       userAgent: agent, timezone: "Europe/Berlin", webdriver: webdriver)
    }

    /// Small worlds written by hand, one situation each, as the engine's funnel tests have them.
    static var handWorked: [ParityWorld.Input] {
        var e: [CanonicalEvent] = []
        // a: the plain path, with a second attempt that gets further.
        e += [event("view", "a", minute: 0), event("cart", "a", minute: 5), event("view", "a", minute: 100),
              event("cart", "a", minute: 101), event("buy", "a", minute: 102, props: [("amount", .number(49))])]
        // b: ties at one millisecond (buy and cart and view at once), then a step at the same time as the previous.
        e += [event("buy", "b", minute: 0), event("cart", "b", minute: 0), event("view", "b", minute: 0), event("buy", "b", minute: 3)]
        // c: strict breaks (another event between), an exclusion between cart and buy.
        e += [event("view", "c", minute: 0), event("pageview", "c", minute: 1), event("cart", "c", minute: 2),
              event("refund", "c", minute: 3), event("buy", "c", minute: 4)]
        // d: window edges: exactly the window after entry, and one millisecond over.
        e += [event("view", "d", minute: 0), event("cart", "d", minute: 60 * 24 * 7), event("view", "e", minute: 0),
              event("cart", "e", minute: 60 * 24 * 7 + 1.0 / 60_000)]
        // f: any order only.
        e += [event("buy", "f", minute: 0), event("cart", "f", minute: 1), event("view", "f", minute: 2)]
        // g: two visitors of one user (identified later), and a first link that wins over a second.
        // g1 came from an ad twice (the later click id wins), g5 from another platform; on a two-shard
        // cluster g1 and g5 land on different shards.
        e += [event("view", "g1", minute: 0, path: "/pricing?gclid=G-old"), event("view", "g1", minute: 1, path: "/pricing?gclid=G-new"),
              event("cart", "g5", minute: 10, path: "/?fbclid=F-1", props: [("size", .string("XL"))]),
              event("buy", "g5", minute: 20, props: [("amount", .string("12.5")), ("fbp", .string("fb.1.1700000000.42"))])]
        e += [event("view", "h", minute: 0, user: "first"), event("cart", "h", minute: 1)]
        // i: the same event id twice (a retry), counted once.
        e += [event("view", "i", minute: 0, id: "x-1"), event("view", "i", minute: 0, id: "x-1"), event("cart", "i", minute: 1, id: "x-2")]
        // j: bots: a crawler, a webdriver, and inhuman speed (30 events inside 10 s).
        e += [event("view", "j1", minute: 0, agent: "Googlebot/2.1 (+http://www.google.com/bot.html)"), event("cart", "j1", minute: 1)]
        e += [event("view", "j2", minute: 0, webdriver: true), event("cart", "j2", minute: 1)]
        e += (0..<30).map { event($0 == 0 ? "view" : "cart", "j3", minute: Double($0) * 0.005) }
        // k: sessions: a 31-minute gap splits, a phone, a referrer, props of every kind.
        e += [event("view", "k", minute: 0, referrer: "https://www.google.com/", props: [("plan", .string("pro")), ("seats", .number(3))]),
              event("cart", "k", minute: 31, props: [("seats", .string("3")), ("trial", .bool(true))]),
              event("view", "k", minute: 40, path: "/pricing", agent: iphone), event("buy", "k", minute: 45, agent: iphone)]
        // l: late event arriving after the rest (out of order), and an event before the range.
        e += [event("cart", "l", minute: 10, path: "/?utm_source=news&utm_medium=email&utm_campaign=spring"), event("buy", "l", minute: 11),
              event("view", "l", minute: 9)]
        // p: a campaign, then direct, then a search visit that converts days later (touchpoints across sessions).
        e += [event("view", "p", minute: -60 * 24 * 2, path: "/?utm_source=fb&utm_medium=paid_social&utm_campaign=launch"),
              event("view", "p", minute: -60 * 24), event("cart", "p", minute: -60 * 24 + 1),
              event("view", "p", minute: -60, referrer: "https://www.bing.com/"), event("buy", "p", minute: -59, props: [("amount", .number(20))]),
              event("view", "p", minute: 0, path: "/?utm_source=fb&utm_medium=paid_social&utm_campaign=launch"),
              event("buy", "p", minute: 1, props: [("amount", .number(30))])]
        e += [event("view", "m", minute: -60 * 24 * 3, props: [("size", .null)]), event("cart", "m", minute: 1), event("buy", "m", minute: 2)]
        // n: two views in one session (the second is its own definition), no cart: an audience that did not complete.
        // Their first view's size is a list, m's a null: a breakdown by it says (none), as for no size.
        e += [event("view", "n", minute: 0, path: "/pricing", props: [("size", .array([.string("L")]))]), event("view", "n", minute: 2),
              event("view", "n", minute: 3)]
        // o: exposures to an experiment: one variant each, one person in both (mixed), exposure after a conversion.
        func exposure(_ visitor: String, _ variant: String, minute: Double) -> CanonicalEvent {
            event("$exposure", visitor, minute: minute, props: [("experiment", .string("cta")), ("variant", .string(variant))])
        }
        e += [exposure("a", "control", minute: 1), exposure("b", "bold", minute: 0), exposure("c", "control", minute: 0),
              exposure("c", "bold", minute: 3), exposure("k", "bold", minute: 30), exposure("g5", "control", minute: 15),
              exposure("l", "bold", minute: 12), exposure("m", "control", minute: 0), exposure("n", "bold", minute: 1)]
        return [.events(e), .identify(site: "s", visitor: "g1", user: "u-g"), .identify(site: "s", visitor: "g5", user: "u-g"),
                .identify(site: "s", visitor: "h", user: "second"),
                // i's events resent later under other visitors (a cookieless salt that rotated between
                // two tries): the embedded store refuses them at ingest; i-rotated keeps a view of its own.
                .events([event("buy", "h", minute: 3), event("refund", "g1", minute: 30),
                         event("cart", "i-rotated", minute: 1, id: "x-2"), event("view", "i-rotated", minute: 2),
                         event("view", "i-gone", minute: 0, id: "x-1")])]
    }

    /// Funnel queries across the dimensions a report can vary in.
    static func funnels(site: String, steps: [String], plan: TrackingPlan?, exclusion: String, from: Int64, to: Int64) throws -> [(String, FunnelQuery)] {
        var out: [(String, FunnelQuery)] = []
        for order in FunnelQuery.Order.allCases {
            for unit in FunnelQuery.Unit.allCases {
                var q = try FunnelQuery(site: site, stepNames: steps, plan: plan, windowMillis: 7 * 86_400_000, order: order)
                q.unit = unit
                out.append(("\(order) per \(unit)", q))
                if order != .any {
                    var x = q
                    try x.exclude(exclusion, plan: plan)
                    out.append(("\(order) per \(unit) excluding \(exclusion)", x))
                    var between = q
                    try between.exclude("\(exclusion):\(steps[1]):\(steps[2])", plan: plan)
                    out.append(("\(order) per \(unit) excluding \(exclusion) between", between))
                }
            }
        }
        var base = try FunnelQuery(site: site, stepNames: steps, plan: plan, windowMillis: 3_600_000)
        out.append(("one-hour window", base))
        base.windowMillis = 7 * 86_400_000
        for dimension in ["channel", "device", "browser", "os", "region", "landing_page", "visitor_type", "prop.size"] {
            var q = base
            q.breakdown = Segment.Dimension(name: dimension)
            out.append(("by \(dimension)", q))
        }
        for segment in ["device=desktop", "channel=direct", "visitor_type=returning", "landing_page=/pricing*", "region=europe", "prop.size=XL", "os=iOS"] {
            var q = base
            q.segments = [try Segment(parsing: segment)]
            out.append(("segment \(segment)", q))
        }
        var ranged = base
        ranged.from = from
        ranged.to = to
        ranged.interval = .week
        out.append(("date range, weekly trend", ranged))
        var bots = base
        bots.includeBots = true
        out.append(("with bots", bots))
        var utc = base
        utc.calendar = .utc
        out.append(("UTC days", utc))
        var matched = base
        matched.steps[1].matcher.props = [PropCondition(key: "size", op: .eq, operand: .string("XL"))]
        matched.steps[0].matcher.path = try Glob("/pri*")
        out.append(("steps with props and path", matched))
        return out
    }

    static func counts(site: String, from: Int64, to: Int64) -> [(String, EventCountsQuery)] {
        [("all", EventCountsQuery(site: site)), ("with bots", EventCountsQuery(site: site, includeBots: true)),
         ("range", EventCountsQuery(site: site, from: from, to: to)),
         ("short sessions", EventCountsQuery(site: site, sessionTimeoutMillis: 5 * 60_000)),
         ("unknown site", EventCountsQuery(site: "nobody.example"))]
    }

    /// Rates queries across the ways a report can vary: range, interval, segments, bots, as-of.
    static func rates(site: String, plan: TrackingPlan, from: Int64, to: Int64) throws -> [(String, RatesQuery)] {
        let base = RatesQuery(site: site, plan: plan)
        var out: [(String, RatesQuery)] = [("all time", base)]
        var q = base
        q.includeBots = true
        out.append(("with bots", q))
        q = base
        q.from = from
        q.to = to
        out.append(("date range", q))
        q.interval = .week
        out.append(("date range, weekly", q))
        q = base
        q.asOf = to
        out.append(("as of", q))
        for segment in ["device=desktop", "channel=direct", "visitor_type=returning", "visitor_type=new", "landing_page=/pricing*", "region=europe",
                        "prop.size=XL", "os=iOS"] {
            q = base
            q.segments = [try Segment(parsing: segment)]
            out.append(("segment \(segment)", q))
        }
        q = base
        q.segments = [try Segment(parsing: "channel=direct"), try Segment(parsing: "device=desktop")]
        out.append(("two segments", q))
        q = base
        q.plan.calendar = .utc
        q.interval = .week
        out.append(("UTC weeks", q))
        q = base
        q.plan.sessionTimeoutMillis = 5 * 60_000
        out.append(("short sessions", q))
        out.append(("unknown site", RatesQuery(site: "nobody.example", plan: plan)))
        return out
    }

    /// Predictive-value queries: the lookback, micros named or all, segments, bots, the model or not.
    static func predictions(site: String, plan: TrackingPlan, macro: String, from: Int64, to: Int64) throws -> [(String, PredictQuery)] {
        let base = PredictQuery(site: site, plan: plan, macro: macro)
        var out: [(String, PredictQuery)] = [("default lookback", base)]
        var q = base
        q.from = from
        q.to = to
        out.append(("date range", q))
        q = base
        q.lookbackMillis = 3 * 86_400_000
        out.append(("three-day lookback", q))
        q = base
        q.includeBots = true
        out.append(("with bots", q))
        q = base
        q.micros = Array(plan.micros.map(\.name).filter { $0 != macro }.prefix(2))
        q.fitsModel = false
        out.append(("two micros, no model", q))
        for segment in ["device=desktop", "visitor_type=new", "channel=direct"] {
            q = base
            q.segments = [try Segment(parsing: segment)]
            out.append(("segment \(segment)", q))
        }
        return out
    }

    /// Experiment queries: all time, a range, segments, bots.
    static func experiments(site: String, plan: TrackingPlan, from: Int64, to: Int64) throws -> [(String, ExperimentQuery)] {
        plan.experiments.flatMap { experiment -> [(String, ExperimentQuery)] in
            let base = ExperimentQuery(site: site, plan: plan, experiment: experiment.name)
            var ranged = base
            ranged.from = from
            ranged.to = to
            var bots = base
            bots.includeBots = true
            var segment = base
            segment.segments = [try! Segment(parsing: "device=desktop")]
            return [("\(experiment.name)", base), ("\(experiment.name), date range", ranged), ("\(experiment.name), with bots", bots),
                    ("\(experiment.name), desktop", segment)]
        }
    }

    /// Micro-path queries: the window, a short path length, segments, bots.
    static func paths(site: String, plan: TrackingPlan, macro: String, from: Int64, to: Int64) -> [(String, PathsQuery)] {
        let base = PathsQuery(site: site, plan: plan, macro: macro)
        var ranged = base
        ranged.from = from
        ranged.to = to
        var short = base
        short.maxLength = 2
        short.top = 5
        var bots = base
        bots.includeBots = true
        var segment = base
        segment.segments = [try! Segment(parsing: "visitor_type=returning")]
        return [("default window", base), ("date range", ranged), ("two steps, top 5", short), ("with bots", bots), ("returning", segment)]
    }

    /// Engagement-score queries: plan and learned values, a range, a cut-off, half-life, top, segments, bots.
    static func scores(site: String, plan: TrackingPlan, macro: String, from: Int64, to: Int64) throws -> [(String, ScoreQuery)] {
        let base = ScoreQuery(site: site, plan: plan)
        var out: [(String, ScoreQuery)] = [("plan values", base)]
        var q = base
        q.learned = true
        out.append(("learned values", q))
        q = base
        q.from = from
        q.to = to
        q.cutoff = from + (to - from) / 2
        out.append(("date range, mid cut-off", q))
        q = base
        q.halfLifeMillis = 3_600_000
        q.top = 3
        q.macro = macro
        out.append(("one-hour half-life, top 3", q))
        q = base
        q.top = 0
        q.includeBots = true
        out.append(("with bots, no top", q))
        for segment in ["device=desktop", "visitor_type=returning"] {
            q = base
            q.segments = [try Segment(parsing: segment)]
            out.append(("segment \(segment)", q))
        }
        out.append(("unknown site", ScoreQuery(site: "nobody.example", plan: plan)))
        return out
    }

    /// Audience queries: `(name, query, names, limit)`: every audience, one by name with a
    /// limit that cuts through ties, as of a moment, segments, bots.
    static func audiences(site: String, plan: TrackingPlan, asOf: Int64) throws -> [(String, AudienceQuery, [String]?, Int?)] {
        let base = AudienceQuery(site: site, plan: plan)
        var dated = base
        dated.asOf = asOf
        var bots = base
        bots.includeBots = true
        bots.halfLifeMillis = 3_600_000
        var desktop = base
        desktop.segments = [try Segment(parsing: "device=desktop")]
        let first = plan.audiences.map(\.name).prefix(2).map { $0 }
        return [("all", base, nil, nil), ("first two, limit 2", base, first, 2), ("sizes only", base, nil, 0), ("as of", dated, nil, 5),
                ("with bots, short half-life", bots, nil, nil), ("desktop", desktop, nil, 3)]
    }

    /// Attribution queries: every model, a range, a short lookback, one model, another macro, segments, bots.
    static func attributions(site: String, plan: TrackingPlan, macro: String, micro: String, from: Int64, to: Int64) throws -> [(String, AttributionQuery)] {
        let base = AttributionQuery(site: site, plan: plan, macro: macro)
        var out: [(String, AttributionQuery)] = [("every model", base)]
        var q = base
        q.from = from
        q.to = to
        out.append(("date range", q))
        q = base
        q.lookbackMillis = 3_600_000
        out.append(("one-hour lookback", q))
        q = base
        q.models = [.timeDecay, .linear]
        out.append(("time decay and linear", q))
        q = base
        q.macro = micro
        out.append(("a micro as the macro", q))
        q = base
        q.includeBots = true
        out.append(("with bots", q))
        for segment in ["device=desktop", "visitor_type=returning"] {
            q = base
            q.segments = [try Segment(parsing: segment)]
            out.append(("segment \(segment)", q))
        }
        return out
    }

    /// Ad-platform exports: both platforms, the macro and a micro, a range, a platform name, bots.
    static func adsExports(site: String, plan: TrackingPlan, macro: String, micro: String, from: Int64, to: Int64) -> [(String, AdsExportQuery)] {
        var out: [(String, AdsExportQuery)] = []
        for platform in AdsExportQuery.Platform.allCases {
            out.append(("\(platform) \(macro)", AdsExportQuery(site: site, plan: plan, platform: platform, conversion: macro)))
            out.append(("\(platform) \(micro), named, in a range",
                        AdsExportQuery(site: site, plan: plan, platform: platform, conversion: micro, platformName: "Lead", from: from, to: to)))
            out.append(("\(platform) \(macro) with bots", AdsExportQuery(site: site, plan: plan, platform: platform, conversion: macro, includeBots: true)))
        }
        return out
    }

    /// Volume queries: `(name, site, interval, from, to, segment)`. `busy` is a moment with events
    /// in the minutes after it: a range ending a minute later still lists that whole hour.
    static func volumes(site: String, from: Int64, to: Int64, busy: Int64) -> [(String, String, VolumeReport.Interval, Int64, Int64, Segment?)] {
        [("hours", site, .hour, from, min(to, from + 30 * 86_400_000), nil), ("days", site, .day, from, to, nil),
         ("hours to mid-hour", site, .hour, busy - 7_200_000 + 1_234, busy + 60_000, nil),
         ("days on desktop", site, .day, from, to, try! Segment(parsing: "device=desktop")),
         ("days in Safari", site, .day, from, to, try! Segment(parsing: "browser=safari")),
         ("unknown site", "nobody.example", .day, from, to, nil)]
    }

    /// Two reports that are equal but for doubles summed in another order (1e-9, relative).
    static func close(_ a: some Encodable, _ b: some Encodable) throws -> Bool {
        let encoder = ReportEncoding.encoder()
        func same(_ x: Any, _ y: Any) -> Bool {
            switch (x, y) {
            case (let x as [String: Any], let y as [String: Any]):
                return x.keys.sorted() == y.keys.sorted() && x.keys.allSatisfy { same(x[$0]!, y[$0]!) }
            case (let x as [Any], let y as [Any]):
                return x.count == y.count && zip(x, y).allSatisfy { same($0, $1) }
            case (let x as NSNumber, let y as NSNumber):
                let (p, q) = (x.doubleValue, y.doubleValue)
                return p == q || abs(p - q) <= 1e-9 * max(1, abs(p), abs(q))
            case (let x as String, let y as String):
                return x == y
            default:
                return x is NSNull && y is NSNull
            }
        }
        return same(try JSONSerialization.jsonObject(with: try encoder.encode(a)), try JSONSerialization.jsonObject(with: try encoder.encode(b)))
    }

    /// Rates reports agree when every count is equal and values (sums of doubles, added in
    /// another order) agree to 1e-9.
    static func agree(_ embedded: RatesReport, _ clickhouse: RatesReport) -> Bool {
        var aligned = clickhouse
        guard embedded.definitions.count == aligned.definitions.count else { return false }
        for d in aligned.definitions.indices {
            if let a = embedded.definitions[d].value, let b = aligned.definitions[d].value, abs(a - b) <= 1e-9 * max(1, abs(a)) {
                aligned.definitions[d].value = a
            }
        }
        return embedded == aligned
    }

    static func compare(_ world: ParityWorld, funnels: [(String, FunnelQuery)], counts: [(String, EventCountsQuery)],
                        rates: [(String, RatesQuery)] = [], predictions: [(String, PredictQuery)] = [],
                        experiments: [(String, ExperimentQuery)] = [], paths: [(String, PathsQuery)] = [],
                        ads: [(String, AdsExportQuery)] = [], attributions: [(String, AttributionQuery)] = [], scores: [(String, ScoreQuery)] = [], audiences: [(String, AudienceQuery, [String]?, Int?)] = [],
                        volumes: [(String, String, VolumeReport.Interval, Int64, Int64, Segment?)] = [], plan: TrackingPlan? = nil,
                        biddingTo: Int64? = nil) async throws -> Int {
        var compared = 0
        for (name, query) in ads {
            let embedded = try await world.embedded.adsExport(query)
            let clickhouse = try await world.clickhouse.adsExport(query)
            #expect(embedded == clickhouse, "ads export \(name)\n\(embedded.body)\n\(clickhouse.body)")
            compared += 1
        }
        if let plan {
            for (name, to, bots) in [("last 30 days", nil as Int64?, false), ("with bots, to a date", biddingTo, true)] {
                let embedded = try await world.embedded.bidding(site: plan.site, plan: plan, to: to, includeBots: bots)
                let clickhouse = try await world.clickhouse.bidding(site: plan.site, plan: plan, to: to, includeBots: bots)
                #expect(try close(embedded, clickhouse), "bidding \(name)\n\(embedded)\n\(clickhouse)")
                compared += 1
            }
        }
        for (name, query) in attributions {
            let embedded = try await world.embedded.attribution(query)
            let clickhouse = try await world.clickhouse.attribution(query)
            #expect(try close(embedded, clickhouse), "attribution \(name)\n\(embedded)\n\(clickhouse)")
            if name == "every model" { #expect(clickhouse.conversions > 0 && clickhouse.channels.count > 1 && !clickhouse.campaigns.isEmpty, "\(clickhouse)") }
            compared += 1
        }
        for (name, query, names, limit) in audiences {
            let embedded = try await world.embedded.audiences(query, names: names, limit: limit)
            let clickhouse = try await world.clickhouse.audiences(query, names: names, limit: limit)
            #expect(try close(embedded, clickhouse), "audiences \(name)\n\(embedded)\n\(clickhouse)")
            if name == "all" { #expect(clickhouse.contains { $0.size > 0 } && clickhouse.count == query.plan.audiences.count, "\(clickhouse)") }
            compared += 1
        }
        for (name, query) in scores {
            let embedded = try await world.embedded.score(query)
            let clickhouse = try await world.clickhouse.score(query)
            #expect(try close(embedded, clickhouse), "score \(name)\n\(embedded)\n\(clickhouse)")
            if name == "plan values" { #expect(clickhouse.scoredPersons > 0 && !clickhouse.top.isEmpty && clickhouse.ranking != nil, "\(clickhouse)") }
            compared += 1
        }
        for (name, site, interval, from, to, segment) in volumes {
            let embedded = try await world.embedded.volumes(site: site, plan: plan!, interval: interval, from: from, to: to, segment: segment)
            let clickhouse = try await world.clickhouse.volumes(site: site, plan: plan!, interval: interval, from: from, to: to, segment: segment)
            #expect(embedded == clickhouse, "volumes \(name)")
            if name == "days" { #expect(clickhouse.series.contains { $0.kind == .definition && $0.total > 0 }, "\(clickhouse)") }
            compared += 1
        }
        for (name, query) in paths {
            let embedded = try await world.embedded.paths(query)
            let clickhouse = try await world.clickhouse.paths(query)
            #expect(embedded == clickhouse, "paths \(name)")
            if name == "default window" { #expect(clickhouse.converters > 0 && !clickhouse.converting.isEmpty, "\(clickhouse)") }
            compared += 1
        }
        for (name, query) in experiments {
            let embedded = try await world.embedded.experiment(query)
            let clickhouse = try await world.clickhouse.experiment(query)
            #expect(try close(embedded, clickhouse), "experiment \(name)\n\(embedded)\n\(clickhouse)")
            if query.from == nil && query.segments.isEmpty && !query.includeBots {
                #expect(clickhouse.variants.allSatisfy { $0.persons > 0 }, "\(clickhouse)")
            }
            compared += 1
        }
        for (name, query) in predictions {
            let embedded = try await world.embedded.predict(query)
            let clickhouse = try await world.clickhouse.predict(query)
            #expect(embedded == clickhouse, "predict \(name)\n\(embedded.model.map { "\($0)" } ?? "")\n\(clickhouse.model.map { "\($0)" } ?? "")")
            // Something to agree about: converters, and micros done before converting.
            if name == "default lookback" {
                #expect(clickhouse.converters > 0 && clickhouse.micros.contains { $0.lag != nil }, "\(clickhouse)")
            }
            compared += 1
        }
        for (name, query) in rates {
            let embedded = try await world.embedded.rates(query)
            let clickhouse = try await world.clickhouse.rates(query)
            #expect(agree(embedded, clickhouse), "rates \(name)")
            compared += 1
        }
        for (name, query) in counts {
            let embedded = try await world.embedded.eventCounts(query)
            let clickhouse = try await world.clickhouse.eventCounts(query)
            #expect(embedded == clickhouse, "event counts, \(name)")
            compared += 1
        }
        for (name, query) in funnels {
            let embedded = try await world.embedded.funnel(query)
            let clickhouse = try await world.clickhouse.funnel(query)
            #expect(embedded == clickhouse, "funnel \(name)")
            compared += 1
        }
        return compared
    }

    @Test func handWorkedWorldsAgreeOnEveryReport() async throws {
        try await Self.handWorkedParity(on: .shared)
    }

    /// The same on two shards made with `stepwise clickhouse schema --cluster`: events go in
    /// through the Distributed tables, and every report reads them back across both shards.
    @Test func handWorkedWorldsAgreeOnATwoShardCluster() async throws {
        let world = try await Self.handWorkedParity(on: .cluster)
        // Both shards hold events, and u-g's two visitors live on different shards: the
        // cross-shard merge of one person is exercised, not assumed.
        let database = world.clickhouse.schema.database
        var shardOf: [String: Int] = [:]
        for (k, url) in ClickHouseServer.cluster.urls.enumerated() {
            let local = ClickHouseClient(try ClickHouseEndpoint(url: url, database: database))
            let visitors = try await local.rows("SELECT DISTINCT visitor FROM \(database).events_local").compactMap { row -> String? in
                if case .string(let visitor)? = row.first { visitor } else { nil }
            }
            #expect(visitors.count >= 5, "shard \(k + 1): \(visitors)")
            for visitor in visitors { shardOf[visitor] = k }
        }
        #expect(shardOf["g1"] != nil && shardOf["g5"] != nil && shardOf["g1"] != shardOf["g5"], "\(shardOf)")
        // Erasing u-g, whose visitors live on both shards: when the erasure returns, neither shard
        // holds an event or a link of theirs (each shard runs its own delete), and the backends agree.
        let erased = try await ClickHouseEraser(client: world.clickhouse.client, cluster: world.clickhouse.schema.cluster).erase(site: "s", person: "u-g")
        let record = try await world.store.erase(site: "s", person: "u-g")
        #expect(erased?.events == 6 && erased?.events == record?.events && erased?.visitors == record?.visitors && erased?.users == record?.users,
                "\(String(describing: erased)) \(String(describing: record))")
        for url in ClickHouseServer.cluster.urls {
            let local = ClickHouseClient(try ClickHouseEndpoint(url: url, database: database))
            for table in ["events_local", "identities_local"] {
                let left = try await local.rows("SELECT count() FROM \(database).\(table) WHERE visitor IN ('g1', 'g5') OR user = 'u-g'")
                #expect(left.first?.first == .number(0), "\(url) \(table): \(left)")
            }
        }
        let query = EventCountsQuery(site: "s", includeBots: true)
        let (embedded, clickhouse) = (try await world.embedded.eventCounts(query), try await world.clickhouse.eventCounts(query))
        #expect(embedded == clickhouse, "\(embedded) \(clickhouse)")
    }

    @discardableResult
    static func handWorkedParity(on server: ClickHouseServer) async throws -> ParityWorld {
        let world = try await ParityWorld("hand", Self.handWorked, on: server)
        let plan = try TrackingPlanLoader.load(yaml: """
            site: s
            timezone: Europe/Berlin
            conversions:
              view:
                kind: micro
                when: { event: view }
                count: once_per_session
              cart:
                kind: micro
                when: { event: cart }
                denominator: { event: view }
                value: 5
              buy:
                kind: macro
                when: { event: buy }
                value: { prop: amount }
                denominator: { event: view, path: "/pricing*" }
              second_view_in_session:
                kind: micro
                when: { event: view, nth_in_session: 2 }
              came_back:
                kind: micro
                when: { event: view, returned_within: 1h }
                count: once_per_person
              xl_cart:
                kind: micro
                when: { event: cart, props: { size: XL } }
                count: once_per_person
              three_seats:
                kind: micro
                when: { path: "/*", props: { seats: { gte: 3 } } }
                value: { prop: seats }
            funnels:
              checkout:
                steps: [view, cart, buy]
                window: 7d
            experiments:
              cta:
                variants: { control: 50, bold: 50 }
                primary: cart
                guardrails: [buy, view]
            audiences:
              viewers:
                did: [view]
              carted_not_bought:
                did: [view, cart]
                not: [buy]
              recent_big_seats:
                did: [three_seats]
                within: 1h
              keen:
                min_score: 2.5
              phone_pricing:
                did: [view]
                segment: [device=mobile]
            """)
        let funnels = try Self.funnels(site: "s", steps: ["view", "cart", "buy"], plan: plan, exclusion: "refund",
                                       from: Self.t0 - 86_400_000, to: Self.t0 + 86_400_000)
        let rates = try Self.rates(site: "s", plan: plan, from: Self.t0, to: Self.t0 + 30 * 60_000)
        let predictions = try Self.predictions(site: "s", plan: plan, macro: "buy", from: Self.t0 - 86_400_000, to: Self.t0 + 86_400_000)
        let experiments = try Self.experiments(site: "s", plan: plan, from: Self.t0 + 60_000, to: Self.t0 + 86_400_000)
        let scores = try Self.scores(site: "s", plan: plan, macro: "buy", from: Self.t0 - 86_400_000, to: Self.t0 + 60 * 60_000)
        let audiences = try Self.audiences(site: "s", plan: plan, asOf: Self.t0 + 20 * 60_000)
        let attributions = try Self.attributions(site: "s", plan: plan, macro: "buy", micro: "cart", from: Self.t0 - 30 * 60_000, to: Self.t0 + 60 * 60_000)
        let ads = Self.adsExports(site: "s", plan: plan, macro: "buy", micro: "cart", from: Self.t0 - 30 * 60_000, to: Self.t0 + 60 * 60_000)
        let compared = try await Self.compare(world, funnels: funnels, counts: Self.counts(site: "s", from: Self.t0, to: Self.t0 + 30 * 60_000),
                                              rates: rates, predictions: predictions, experiments: experiments,
                                              paths: Self.paths(site: "s", plan: plan, macro: "buy", from: Self.t0 - 86_400_000, to: Self.t0 + 60 * 60_000),
                                              ads: ads, attributions: attributions, scores: scores, audiences: audiences,
                                              volumes: Self.volumes(site: "s", from: Self.t0 - 5 * 86_400_000, to: Self.t0 + 9 * 86_400_000, busy: Self.t0),
                                              plan: plan, biddingTo: Self.t0 + 30 * 60_000)
        #expect(compared == funnels.count + 5 + rates.count + predictions.count + experiments.count + 5 + attributions.count + scores.count + audiences.count + ads.count + 6 + 2)
        // The ad click ids of a person seen on two visitors: the latest of each kind.
        let viewers = try await world.clickhouse.audiences(AudienceQuery(site: "s", plan: plan), names: ["viewers"], limit: nil)
        #expect(viewers[0].members.first { $0.user == "u-g" }?.clickIds == ["gclid": "G-new", "fbclid": "F-1"], "\(viewers)")
        // The exports carry something: u-g's purchase with the latest gclid before it, and the fbclid and fbp.
        let google = try await world.clickhouse.adsExport(AdsExportQuery(site: "s", plan: plan, platform: .google, conversion: "buy"))
        #expect(google.exported == 1 && google.body.contains("G-new,buy,") && !google.body.contains("G-old"), "\(google.body)")
        let meta = try await world.clickhouse.adsExport(AdsExportQuery(site: "s", plan: plan, platform: .meta, conversion: "buy"))
        #expect(meta.exported == 1 && meta.body.contains("F-1") && meta.body.contains("fb.1.1700000000.42"), "\(meta.body)")
        // The worlds are not empty: the parity is about something.
        let counts = try await world.clickhouse.eventCounts(EventCountsQuery(site: "s"))
        #expect(counts.events.first { $0.event == "view" }?.persons ?? 0 >= 10)
        return world
    }

    @Test(arguments: Topology.allCases) func seededDemoSiteAgreesOnEveryReport(_ topology: Topology) async throws {
        var events: [CanonicalEvent] = []
        let end: Int64 = 1_793_577_600_000
        let profile = DemoSiteProfile.shop
        _ = DemoGenerator(profile: profile, seed: 42, visitors: 39_000, end: end).generate { events.append($0) }
        #expect(events.count >= 200_000)
        let world = try await ParityWorld("demo", [.events(events)], on: topology.server)
        // The demo's audience and a few more: a score floor, a segment, no rule at all.
        let plan = try TrackingPlanLoader.load(yaml: profile.planYAML.replacingOccurrences(of: "audiences:\n", with: """
            audiences:
              keen_on_mobile:
                did: [\(profile.micros[0].name)]
                min_score: 2
                segment: [device=mobile]
              everyone:
                within: 3d
              not_yet:
                not: [\(profile.macro)]
                min_score: 1

            """))
        #expect(plan.audiences.count == 4)
        var funnels = try Self.funnels(site: profile.site, steps: Array(profile.funnel.prefix(3)), plan: plan, exclusion: profile.micros[0].name,
                                       from: end - 14 * 86_400_000, to: end - 3 * 86_400_000)
        for funnel in plan.funnels { funnels.append(("plan funnel \(funnel.name)", try FunnelQuery(site: profile.site, funnel: funnel, plan: plan))) }
        let rates = try Self.rates(site: profile.site, plan: plan, from: end - 14 * 86_400_000, to: end - 3 * 86_400_000)
        let predictions = try Self.predictions(site: profile.site, plan: plan, macro: profile.macro, from: end - 14 * 86_400_000, to: end - 3 * 86_400_000)
        let experiments = try Self.experiments(site: profile.site, plan: plan, from: end - 14 * 86_400_000, to: end - 3 * 86_400_000)
        #expect(!experiments.isEmpty)
        let scores = try Self.scores(site: profile.site, plan: plan, macro: profile.macro, from: end - 14 * 86_400_000, to: end - 3 * 86_400_000)
        let audiences = try Self.audiences(site: profile.site, plan: plan, asOf: end - 3 * 86_400_000)
        let attributions = try Self.attributions(site: profile.site, plan: plan, macro: profile.macro, micro: profile.micros[0].name,
                                                 from: end - 14 * 86_400_000, to: end - 3 * 86_400_000)
        let ads = Self.adsExports(site: profile.site, plan: plan, macro: profile.macro, micro: profile.micros[0].name,
                                  from: end - 14 * 86_400_000, to: end - 3 * 86_400_000)
        let compared = try await Self.compare(world, funnels: funnels, counts: Self.counts(site: profile.site, from: end - 7 * 86_400_000, to: end),
                                              rates: rates, predictions: predictions, experiments: experiments,
                                              paths: Self.paths(site: profile.site, plan: plan, macro: profile.macro, from: end - 14 * 86_400_000,
                                                                to: end - 3 * 86_400_000),
                                              ads: ads, attributions: attributions, scores: scores, audiences: audiences,
                                              volumes: Self.volumes(site: profile.site, from: end - 40 * 86_400_000, to: end + 86_400_000,
                                                                    busy: end - 86_400_000 - 5 * 60_000), plan: plan,
                                              biddingTo: end - 10 * 86_400_000)
        #expect(compared == funnels.count + 5 + rates.count + predictions.count + experiments.count + 5 + attributions.count + scores.count + audiences.count + ads.count + 6 + 2)
    }
}
