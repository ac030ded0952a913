import Testing
@testable import StepwiseCore

@Suite struct EnrichmentTests {
    @Test(arguments: [
        ("https://shop.example/", nil, Channel.direct, "(direct)", "(none)"),
        ("https://shop.example/p", "https://shop.example/", .direct, "(direct)", "(none)"),
        ("https://shop.example/", "https://www.google.com.au/", .organicSearch, "google.com.au", "organic"),
        ("https://shop.example/", "https://duckduckgo.com/", .organicSearch, "duckduckgo.com", "organic"),
        ("https://shop.example/?gclid=abc", "https://www.google.com/", .paidSearch, "google", "cpc"),
        ("https://shop.example/?msclkid=abc", nil, .paidSearch, "bing", "cpc"),
        ("https://shop.example/?utm_source=google&utm_medium=cpc", nil, .paidSearch, "google", "cpc"),
        ("https://shop.example/?utm_source=facebook&utm_medium=paid_social", nil, .paidSocial, "facebook", "paid_social"),
        ("https://shop.example/", "https://l.facebook.com/", .organicSocial, "l.facebook.com", "referral"),
        ("https://shop.example/", "https://t.co/xyz", .organicSocial, "t.co", "referral"),
        ("https://shop.example/?utm_source=newsletter&utm_medium=email", nil, .email, "newsletter", "email"),
        ("https://shop.example/", "https://mail.google.com/", .email, "mail.google.com", "email"),
        ("https://shop.example/?utm_source=gdn&utm_medium=display", nil, .display, "gdn", "display"),
        ("https://shop.example/?utm_source=partner&utm_medium=affiliate", nil, .affiliates, "partner", "affiliate"),
        ("https://shop.example/", "https://blog.partner.example/post", .referral, "blog.partner.example", "referral"),
        ("https://shop.example/?utm_source=zzz&utm_medium=carrier-pigeon", nil, .unassigned, "zzz", "carrier-pigeon"),
        ("https://shop.example/?utm_source=(direct)&utm_medium=(none)", nil, .direct, "(direct)", "(none)"),
    ])
    func groupsChannelsLikeGA4(url: String, referrer: String?, channel: Channel, source: String, medium: String) {
        let traffic = ChannelClassifier.classify(page: URLParts(url), referrer: referrer.map(URLParts.init))
        #expect(traffic.channel == channel)
        #expect(traffic.source == source)
        #expect(traffic.medium == medium)
    }

    @Test(arguments: [
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
         DeviceType.mobile, Browser.safari, OperatingSystem.iOS, false),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0",
         .desktop, .edge, .windows, false),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0", .desktop, .firefox, .windows, false),
        ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
         .mobile, .chrome, .android, false),
        ("Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
         .tablet, .chrome, .android, false),
        ("Mozilla/5.0 (iPad; CPU OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
         .tablet, .safari, .iOS, false),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15",
         .desktop, .safari, .macOS, false),
        ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", .desktop, .other, .other, true),
        ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36",
         .desktop, .chrome, .linux, true),
        ("curl/8.4.0", .desktop, .other, .other, true),
        ("python-requests/2.31", .desktop, .other, .other, true),
    ])
    func readsDeviceBrowserOSAndBotsFromUserAgents(ua: String, device: DeviceType, browser: Browser, os: OperatingSystem, bot: Bool) {
        let info = UserAgentInfo(userAgent: ua)
        #expect(info.device == device)
        #expect(info.browser == browser)
        #expect(info.os == os)
        #expect(info.isBot == bot)
    }

    @Test func anEventWithoutAUserAgentIsNotABotForThatAlone() {
        let event = CanonicalEvent(site: "s", name: "import", visitor: "v", timestamp: 0)
        let enriched = EventEnricher().enrich(event)
        #expect(enriched.botSignal == .none)
        #expect(enriched.device == .unknown)
        #expect(EventEnricher().enrich(CanonicalEvent(site: "s", name: "e", visitor: "v", timestamp: 0, webdriver: true)).botSignal == .webdriver)
    }

    @Test func readsClickIDsPathAndRegionFromTheEvent() {
        let event = CanonicalEvent(
            site: "s", name: "pageview", visitor: "v", timestamp: 0,
            url: "https://Shop.Example:443/product/17?gclid=G1&fbclid=F1&utm_source=x#top", timezone: "Australia/Sydney")
        let enriched = EventEnricher().enrich(event)
        #expect(enriched.path == "/product/17")
        #expect(enriched.clickIDs.map(\.kind) == [.gclid, .fbclid])
        #expect(enriched.clickIDsJSON == #"{"gclid":"G1","fbclid":"F1"}"#)
        #expect(enriched.region == "AU")
        #expect(RegionResolver.region(forTimezone: "Europe/Tallinn") == "Europe")
        #expect(RegionResolver.region(forTimezone: nil) == RegionResolver.unknown)
    }

    @Test func parsesURLPartsAndPercentDecodesQueries() {
        let parts = URLParts("https://user@www.example.com:8080/a/b?q=red+shoes&x=%2Fy&flag")
        #expect(parts.host == "example.com")
        #expect(parts.path == "/a/b")
        #expect(parts.queryValue("q") == "red shoes")
        #expect(parts.queryValue("x") == "/y")
        #expect(parts.queryValue("flag") == "")
        #expect(URLParts("/pricing?plan=pro").path == "/pricing")
        #expect(URLParts("https://example.com").path == "/")
    }
}

@Suite struct NetworkListTests {
    @Test func matchesIPv4AndIPv6BlocksByPrefix() throws {
        let list = try NetworkList(["203.0.113.0/24", "2001:db8::/32", "198.51.100.7"])
        #expect(list.contains("203.0.113.200"))
        #expect(!list.contains("203.0.114.1"))
        #expect(list.contains("2001:db8:1::5"))
        #expect(!list.contains("2001:db9::1"))
        #expect(list.contains("198.51.100.7"))
        #expect(!list.contains("198.51.100.8"))
        #expect(!list.contains("not an address"))
        #expect(try NetworkList(["0.0.0.0/0"]).contains("8.8.8.8"))
        #expect(throws: NetworkList.InvalidBlock.self) { try NetworkList(["10.0.0.0/33"]) }
        #expect(throws: NetworkList.InvalidBlock.self) { try NetworkList(["example.com/8"]) }
    }
}
