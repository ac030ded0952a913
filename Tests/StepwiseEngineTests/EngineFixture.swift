import StepwiseCore
@testable import StepwiseEngine

/// A hand-written little world: string ids, visitors and events, fed to a live table
/// exactly the way storage feeds it.
struct EngineFixture {
    var strings: [String] = [""]
    var identities = IdentityGraph()
    var rows = EventRows()
    var visitors: [String: UInt32] = [:]
    var users: [String: UInt32] = [:]
    var links: [IdentityChange.Link] = []

    mutating func id(_ text: String) -> UInt32 {
        if let index = strings.firstIndex(of: text) { return UInt32(index) }
        strings.append(text)
        return UInt32(strings.count - 1)
    }

    mutating func visitor(_ key: String, site: String = "s") -> UInt32 {
        if let id = visitors[key] { return id }
        let id = UInt32(visitors.count + 1)
        visitors[key] = id
        identities.addVisitor(id, site: self.id(site))
        return id
    }

    mutating func link(_ visitorKey: String, to user: String, site: String = "s") {
        let userID = users[user] ?? UInt32(users.count + 1)
        if users[user] == nil {
            users[user] = userID
            identities.addUser(userID, site: id(site))
        }
        identities.link(visitor: visitor(visitorKey, site: site), user: userID)
    }

    /// An event at `minute` minutes (plus `seconds`) after a fixed origin.
    mutating func event(
        _ name: String, _ visitorKey: String, minute: Double, site: String = "s", bot: BotReason = .none, path: String = "/",
        props: String? = nil, device: DeviceType = .desktop, channel: Channel = .direct, revenue: Double = 0, query: String = ""
    ) {
        rows.append(
            timestamp: Self.origin + Int64(minute * 60_000), visitor: visitor(visitorKey, site: site), name: id(name), path: id(path),
            region: id("AU"), url: id("https://\(site)\(path)\(query)"), referrer: 0, props: props.map { id($0) } ?? 0, revenue: revenue,
            channel: channel.rawValue, device: device.rawValue, browser: 1, os: 1, botSignal: bot.rawValue)
    }

    /// 2026-11-02T10:15:03.120Z: every fixture event is minutes after it.
    static let origin: Int64 = 1_793_614_503_120

    static func at(minute: Double) -> Int64 { origin + Int64(minute * 60_000) }

    func table() -> EventTable {
        EventTableBuilder().build(previous: .empty, appended: rows, identities: identities, strings: strings)
    }

    func counts(site: String = "s", includeBots: Bool = false, from: Int64? = nil, to: Int64? = nil) -> [String: [Int]] {
        let report = EventCounter.count(EventCountsQuery(site: site, from: from, to: to, includeBots: includeBots), in: table())
        return Dictionary(uniqueKeysWithValues: report.events.map { ($0.event, [$0.events, $0.persons, $0.sessions]) })
    }
}
