/// A validated event plus what the server derives from it at ingest (SPEC §3).
///
/// Session-level facts (session number, landing page, the session's channel, new vs
/// returning) depend on a person's other events and are derived by the engine, which
/// sees every event of a person in time order even when they arrive out of order.
public struct EnrichedEvent: Sendable, Equatable {
    public var event: CanonicalEvent
    public var path: String
    public var traffic: TrafficSource
    public var device: DeviceType
    public var browser: Browser
    public var os: OperatingSystem
    public var region: String
    /// Click ids from the page URL, in `ClickIDKind` order.
    public var clickIDs: [(ClickIDKind, String)]
    /// The event's own bot signal (user agent, webdriver); speed is judged per visitor later.
    public var botSignal: BotReason
    /// Props as stored JSON text, serialised here so the single storage writer does not.
    public var propsJSON: String?

    public static func == (a: EnrichedEvent, b: EnrichedEvent) -> Bool {
        a.event == b.event && a.path == b.path && a.traffic == b.traffic && a.device == b.device && a.browser == b.browser
            && a.os == b.os && a.region == b.region && a.botSignal == b.botSignal
            && a.clickIDs.map { "\($0.0)=\($0.1)" } == b.clickIDs.map { "\($0.0)=\($0.1)" }
    }

    /// Click ids as a compact JSON object for storage, nil when there are none.
    public var clickIDsJSON: String? {
        guard !clickIDs.isEmpty else { return nil }
        return JSONWriter.write(.object(JSONObject(keys: clickIDs.map { $0.0.rawValue }, values: clickIDs.map { .string($0.1) })))
    }
}

/// Derives the enrichment of SPEC §3 from one event.
///
/// User-agent parsing dominates its cost and user agents repeat heavily, so results are
/// memoised in a cache shared by every request handler.
public struct EventEnricher: Sendable {
    private let userAgents: UserAgentCache

    public init(userAgents: UserAgentCache = UserAgentCache()) {
        self.userAgents = userAgents
    }

    public func enrich(_ event: CanonicalEvent) -> EnrichedEvent {
        let page = event.url.map(URLParts.init)
        let referrer = event.referrer.map(URLParts.init)
        let agent = userAgents.info(event.userAgent)
        var clickIDs: [(ClickIDKind, String)] = []
        if let page, !page.query.isEmpty {
            for kind in ClickIDKind.allCases {
                if let value = page.queryValue(kind.rawValue), !value.isEmpty { clickIDs.append((kind, String(value.prefix(256)))) }
            }
        }
        let bot: BotReason = agent.isBot ? .userAgent : (event.webdriver ? .webdriver : .none)
        return EnrichedEvent(
            event: event, path: page?.path ?? "", traffic: ChannelClassifier.classify(page: page, referrer: referrer),
            device: agent.device, browser: agent.browser, os: agent.os,
            region: RegionResolver.region(forTimezone: event.timezone), clickIDs: clickIDs, botSignal: bot,
            propsJSON: event.props.count > 0 ? JSONWriter.write(.object(event.props)) : nil)
    }
}
