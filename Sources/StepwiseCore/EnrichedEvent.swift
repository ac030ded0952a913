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
    public var clickIDs: [ClickID]
    /// The event's own bot signal (user agent, webdriver); speed is judged per visitor later.
    public var botSignal: BotReason
    /// Props as stored JSON text, serialised here so the single storage writer does not.
    public var propsJSON: String?

    /// Click ids as a compact JSON object for storage, nil when there are none.
    public var clickIDsJSON: String? {
        guard !clickIDs.isEmpty else { return nil }
        return JSONWriter.write(.object(JSONObject(keys: clickIDs.map(\.kind.rawValue), values: clickIDs.map { .string($0.value) })))
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
        var clickIDs: [ClickID] = []
        if let page, !page.query.isEmpty {
            for kind in ClickIDKind.allCases {
                if let value = page.queryValue(kind.rawValue), !value.isEmpty { clickIDs.append(ClickID(kind: kind, value: String(value.prefix(256)))) }
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
