import Testing
import StepwiseCore
@testable import StepwiseEngine

@Suite struct EventCounterTests {
    @Test func aGapOfExactlyTheTimeoutStaysInTheSessionAndOneMillisecondMoreStartsANewOne() {
        var world = EngineFixture()
        world.event("pageview", "a", minute: 0)
        world.event("pageview", "a", minute: 30)          // gap == 30 min: same session
        world.event("pageview", "a", minute: 60 + 1.0 / 60_000)  // gap 30 min + 1 ms: new session
        world.event("cta_click", "a", minute: 61)
        #expect(world.counts()["pageview"] == [3, 1, 2])
        #expect(world.counts()["cta_click"] == [1, 1, 1])
    }

    @Test func countsEventsPersonsAndSessionsByHand() {
        var world = EngineFixture()
        // a: two sessions, add_to_cart in both; b: one session, two add_to_carts.
        world.event("pageview", "a", minute: 0)
        world.event("add_to_cart", "a", minute: 2)
        world.event("pageview", "a", minute: 120)
        world.event("add_to_cart", "a", minute: 121)
        world.event("pageview", "b", minute: 5)
        world.event("add_to_cart", "b", minute: 6)
        world.event("add_to_cart", "b", minute: 7)
        world.event("pageview", "c", minute: 0, site: "other")
        let counts = world.counts()
        #expect(counts["pageview"] == [3, 2, 3])
        #expect(counts["add_to_cart"] == [4, 2, 3])
        #expect(world.counts(site: "other")["pageview"] == [1, 1, 1])
        #expect(world.counts(site: "missing").isEmpty)
    }

    @Test func identifyingAVisitorRetroactivelyMovesItsEarlierEventsToTheUser() {
        var world = EngineFixture()
        world.event("pageview", "phone", minute: 0)
        world.event("pricing_view", "phone", minute: 1)
        world.event("pageview", "laptop", minute: 600)
        world.event("purchase", "laptop", minute: 601)
        #expect(world.counts()["pageview"] == [2, 2, 2])
        world.link("phone", to: "u_42")
        world.link("laptop", to: "u_42")
        let counts = world.counts()
        #expect(counts["pageview"] == [2, 1, 2])  // one person, two sessions
        #expect(counts["pricing_view"] == [1, 1, 1])
        // The phone's session and the laptop's are one person's timeline now.
        let table = world.table()
        #expect(table.personCount == 1)
        #expect(table.timestamp == table.timestamp.sorted())
    }

    @Test func twoVisitorsOfOnePersonShareSessionsWhenTheirEventsInterleave() {
        var world = EngineFixture()
        world.event("pageview", "tab1", minute: 0)
        world.event("pageview", "tab2", minute: 10)
        world.event("pageview", "tab1", minute: 20)
        world.link("tab1", to: "u")
        world.link("tab2", to: "u")
        #expect(world.counts()["pageview"] == [3, 1, 1])
    }

    @Test func botsAreExcludedByDefaultAndCountedOnRequest() {
        var world = EngineFixture()
        world.event("pageview", "human", minute: 0)
        world.event("pageview", "crawler", minute: 0, bot: .userAgent)
        world.event("pageview", "selenium", minute: 0, bot: .webdriver)
        // A scraper with a browser's user agent: 30 events in 10 seconds.
        for i in 0..<30 { world.event("pageview", "scraper", minute: Double(i) / 180) }
        // A fast but human burst: 29 events in 10 seconds is under the rule.
        for i in 0..<29 { world.event("scroll", "reader", minute: Double(i) / 174) }
        #expect(world.counts()["pageview"] == [1, 1, 1])
        #expect(world.counts()["scroll"] == [29, 1, 1])
        #expect(world.counts(includeBots: true)["pageview"] == [33, 4, 4])
        let table = world.table()
        let reasons = Set(table.personBot.map { BotReason(rawValue: $0)! })
        #expect(reasons == [.none, .userAgent, .webdriver, .inhumanSpeed])
    }

    @Test func aBotSignalOnAnyVisitorMakesTheWholePersonABot() {
        var world = EngineFixture()
        world.event("pageview", "a", minute: 0)
        world.event("pageview", "b", minute: 5, bot: .webdriver)
        world.link("a", to: "u")
        world.link("b", to: "u")
        #expect(world.counts()["pageview"] == nil)
    }

    @Test func filtersByTimeRangeWithAnInclusiveStartAndExclusiveEnd() {
        var world = EngineFixture()
        world.event("e", "a", minute: 0)
        world.event("e", "a", minute: 10)
        world.event("e", "a", minute: 20)
        let origin: Int64 = 1_793_614_503_120
        #expect(world.counts(from: origin + 600_000, to: origin + 1_200_000)["e"] == [1, 1, 1])
        #expect(world.counts(from: origin, to: origin + 1_200_001)["e"] == [3, 1, 1])
    }

    @Test func outOfOrderArrivalGivesTheSameTableAsSortedArrival() {
        var sorted = EngineFixture()
        var shuffled = EngineFixture()
        let events: [(String, String, Double)] = [("a", "v1", 0), ("b", "v1", 40), ("c", "v2", 5), ("a", "v1", 90), ("d", "v2", 100)]
        for (name, visitor, minute) in events { sorted.event(name, visitor, minute: minute) }
        for (name, visitor, minute) in [events[3], events[1], events[4], events[0], events[2]] {
            shuffled.event(name, visitor, minute: minute)
        }
        #expect(sorted.counts() == shuffled.counts())
        #expect(sorted.counts()["a"] == [2, 1, 2])
    }

    @Test func incrementalAppendsMatchABuildFromScratch() {
        var world = EngineFixture()
        let builder = EventTableBuilder()
        var table = EventTable.empty
        var all = EventRows()
        for step in 0..<5 {
            var batch = EngineFixture()
            batch.strings = world.strings
            batch.visitors = world.visitors
            batch.identities = world.identities
            for i in 0..<20 {
                batch.event(["pageview", "cta_click", "signup"][i % 3], "v\((i * 7 + step) % 9)", minute: Double(step * 25 + i * 3))
            }
            world.strings = batch.strings
            world.visitors = batch.visitors
            world.identities = batch.identities
            if step == 3 { world.link("v1", to: "u1"); world.link("v2", to: "u1") }
            table = builder.build(previous: table, appended: batch.rows, identities: world.identities, strings: world.strings)
            all.append(contentsOf: batch.rows)
        }
        let scratch = builder.build(previous: .empty, appended: all, identities: world.identities, strings: world.strings)
        #expect(table.timestamp == scratch.timestamp)
        #expect(table.visitor == scratch.visitor)
        #expect(table.name == scratch.name)
        #expect(table.botSignal == scratch.botSignal)
        #expect(table.personBot == scratch.personBot)
        #expect(table.personStart == scratch.personStart)
        let query = EventCountsQuery(site: "s")
        #expect(EventCounter.count(query, in: table) == EventCounter.count(query, in: scratch))
    }

    @Test func theLiveTableShowsEveryAppliedRowInTheNextSnapshot() {
        let live = LiveEventTable()
        var world = EngineFixture()
        world.event("pageview", "a", minute: 0)
        live.reset(strings: world.strings, identities: world.identities, rows: world.rows)
        #expect(live.snapshot().count == 1)
        var more = EngineFixture()
        more.strings = world.strings
        more.visitors = world.visitors
        more.identities = world.identities
        more.event("signup", "b", minute: 1)
        live.addStrings(Array(more.strings.enumerated().dropFirst(world.strings.count).map { (UInt32($0.offset), $0.element) }))
        var change = IdentityChange()
        change.newVisitors = [.init(id: more.visitors["b"]!, site: more.id("s"))]
        live.apply(change, rows: more.rows)
        let snapshot = live.snapshot()
        #expect(snapshot.count == 2)
        #expect(EventCounter.count(EventCountsQuery(site: "s"), in: snapshot).events.map(\.event) == ["pageview", "signup"])
    }
}
