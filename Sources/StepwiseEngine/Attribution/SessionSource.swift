import StepwiseCore

/// The channel and campaign a session came from: the channel its first event was given at
/// ingest, and the campaign by the same GA4 rules on that event's URL and referrer.
struct SessionSource: Hashable, Sendable {
    var channel: UInt8
    /// `utm_campaign`, empty when untagged.
    var campaign: String

    var channelName: String { Channel(rawValue: channel)?.description ?? "Unassigned" }
    var isDirect: Bool { channel == Channel.direct.rawValue }

    /// Campaigns memoised per (URL id, referrer id): sessions repeat a few landing URLs many times.
    struct Resolver: Sendable {
        private var memo: [UInt64: String] = [:]

        mutating func source(ofEvent i: Int, in table: EventTable) -> SessionSource {
            let url = table.url[i], referrer = table.referrer[i]
            let key = UInt64(url) << 32 | UInt64(referrer)
            let campaign: String
            if let known = memo[key] {
                campaign = known
            } else {
                func parts(_ id: UInt32) -> URLParts? { id == 0 ? nil : URLParts(table.strings[Int(id)]) }
                campaign = ChannelClassifier.classify(page: parts(url), referrer: parts(referrer)).campaign
                memo[key] = campaign
            }
            return SessionSource(channel: table.channel[i], campaign: campaign)
        }
    }
}
