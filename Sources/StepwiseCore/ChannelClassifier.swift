/// Source, medium, campaign and GA4 default channel group of one landing.
public struct TrafficSource: Sendable, Equatable {
    public var channel: Channel
    public var source: String
    public var medium: String
    public var campaign: String

    public init(channel: Channel, source: String, medium: String, campaign: String) {
        self.channel = channel
        self.source = source
        self.medium = medium
        self.campaign = campaign
    }
}

/// GA4's default channel grouping rules, from UTM parameters, click ids and the referrer.
///
/// Rules are applied in GA4's order (its "default channel group" documentation); channels
/// outside SPEC §3's list (shopping, video, audio, SMS, mobile push) fold into their nearest one.
public enum ChannelClassifier {
    static let searchEngines: Set<String> = [
        "google", "bing", "yahoo", "duckduckgo", "baidu", "yandex", "ecosia", "ask", "naver", "seznam", "qwant",
        "startpage", "search.brave.com", "sogou", "so.com", "aol",
    ]
    static let socialSites: Set<String> = [
        "facebook", "fb", "instagram", "twitter", "t.co", "x.com", "linkedin", "lnkd.in", "reddit", "pinterest",
        "tiktok", "youtube", "youtu.be", "snapchat", "tumblr", "quora", "threads.net", "mastodon", "whatsapp",
        "telegram", "vk", "discord", "m.facebook.com", "l.facebook.com", "lm.facebook.com",
    ]
    static let webmailHosts: Set<String> = [
        "mail.google.com", "outlook.live.com", "outlook.office.com", "mail.yahoo.com", "mail.proton.me",
    ]

    /// Classifies a landing. `pageHost` tells internal navigation (same-site referrer) from referrals.
    public static func classify(page: URLParts?, referrer: URLParts?) -> TrafficSource {
        let utmSource = page?.queryValue("utm_source")?.lowercased()
        let utmMedium = page?.queryValue("utm_medium")?.lowercased()
        let campaign = page?.queryValue("utm_campaign") ?? ""
        let hasGoogleClick = page.map { p in ["gclid", "gbraid", "wbraid"].contains { p.queryValue($0) != nil } } ?? false
        let hasBingClick = page?.queryValue("msclkid") != nil

        if utmSource != nil || utmMedium != nil {
            let source = utmSource ?? referrer?.host ?? "(not set)"
            let medium = utmMedium ?? "(not set)"
            return TrafficSource(channel: grouping(source: source, medium: medium, campaign: campaign.lowercased()),
                                 source: source, medium: medium, campaign: campaign)
        }
        if hasGoogleClick { return TrafficSource(channel: .paidSearch, source: "google", medium: "cpc", campaign: campaign) }
        if hasBingClick { return TrafficSource(channel: .paidSearch, source: "bing", medium: "cpc", campaign: campaign) }

        guard let referrer, !referrer.host.isEmpty, referrer.host != page?.host else {
            return TrafficSource(channel: .direct, source: "(direct)", medium: "(none)", campaign: "")
        }
        let host = referrer.host
        if webmailHosts.contains(host) { return TrafficSource(channel: .email, source: host, medium: "email", campaign: "") }
        if matches(host, searchEngines) { return TrafficSource(channel: .organicSearch, source: host, medium: "organic", campaign: "") }
        if matches(host, socialSites) { return TrafficSource(channel: .organicSocial, source: host, medium: "referral", campaign: "") }
        return TrafficSource(channel: .referral, source: host, medium: "referral", campaign: "")
    }

    /// The GA4 rules for tagged traffic.
    static func grouping(source: String, medium: String, campaign: String) -> Channel {
        if (source == "(direct)" || source == "direct") && (medium == "(none)" || medium == "(not set)") { return .direct }
        let paid = medium.range(of: "cp") != nil || medium == "ppc" || medium == "retargeting" || medium.hasPrefix("paid")
        let isSearch = matches(source, searchEngines)
        let isSocial = matches(source, socialSites)
        if isSearch && paid { return .paidSearch }
        if isSocial && paid { return .paidSocial }
        if ["display", "banner", "expandable", "interstitial", "cpm"].contains(medium) { return .display }
        if [source, medium].contains(where: { $0.contains("email") || $0.contains("e-mail") || $0.contains("e_mail") || $0.contains("e mail") }) {
            return .email
        }
        if medium == "affiliate" || medium == "affiliates" { return .affiliates }
        if isSocial || ["social", "social-network", "social-media", "sm", "social network", "social media"].contains(medium) {
            return .organicSocial
        }
        if isSearch || medium == "organic" { return .organicSearch }
        if ["referral", "app", "link"].contains(medium) { return .referral }
        return .unassigned
    }

    /// True when the host (or source name) is one of the known sites, by label.
    static func matches(_ host: String, _ known: Set<String>) -> Bool {
        if known.contains(host) { return true }
        var trimmed = Substring(host)
        for prefix in ["m.", "l.", "lm.", "mobile.", "search.", "news."] where trimmed.hasPrefix(prefix) {
            trimmed = trimmed.dropFirst(prefix.count)
        }
        if known.contains(String(trimmed)) { return true }
        return trimmed.split(separator: ".").contains { known.contains(String($0)) }
    }
}
