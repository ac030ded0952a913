/// Device, browser, OS and bot verdict from a User-Agent string, by ordered substring rules.
///
/// A full UA database is overkill for segmenting reports; these rules cover the browsers
/// that make up nearly all human traffic and the automation tools that fake it.
public struct UserAgentInfo: Sendable, Equatable {
    public var device: DeviceType
    public var browser: Browser
    public var os: OperatingSystem
    public var isBot: Bool

    public static let unknown = UserAgentInfo(device: .unknown, browser: .unknown, os: .unknown, isBot: false)

    public init(device: DeviceType, browser: Browser, os: OperatingSystem, isBot: Bool) {
        self.device = device
        self.browser = browser
        self.os = os
        self.isBot = isBot
    }

    /// Substrings that mark crawlers, monitors, headless browsers and HTTP libraries.
    static let botMarkers = [
        "bot", "crawl", "spider", "slurp", "mediapartners", "facebookexternalhit", "headless", "phantomjs",
        "puppeteer", "playwright", "selenium", "python-requests", "python-urllib", "aiohttp", "curl/", "wget",
        "go-http-client", "java/", "okhttp", "httpclient", "libwww", "scrapy", "uptimerobot", "pingdom",
        "statuscake", "monitor", "lighthouse", "pagespeed", "axios/", "node-fetch", "preview", "ahrefs",
        "semrush", "petalsearch", "bytespider", "gptbot", "ccbot", "feedfetcher", "validator",
    ]

    public init(userAgent: String?) {
        guard let userAgent, !userAgent.isEmpty else {
            self = .unknown
            return
        }
        let ua = userAgent.lowercased()
        isBot = Self.botMarkers.contains { ua.contains($0) }

        if ua.contains("windows nt") || ua.contains("windows phone") { os = .windows }
        else if ua.contains("iphone") || ua.contains("ipad") || ua.contains("ipod") { os = .iOS }
        else if ua.contains("android") { os = .android }
        else if ua.contains("cros") { os = .chromeOS }
        else if ua.contains("mac os x") || ua.contains("macintosh") { os = .macOS }
        else if ua.contains("linux") || ua.contains("x11") { os = .linux }
        else { os = .other }

        if ua.contains("edg/") || ua.contains("edge/") || ua.contains("edga/") || ua.contains("edgios/") { browser = .edge }
        else if ua.contains("opr/") || ua.contains("opera") { browser = .opera }
        else if ua.contains("samsungbrowser") { browser = .samsungInternet }
        else if ua.contains("firefox/") || ua.contains("fxios/") { browser = .firefox }
        else if ua.contains("chrome/") || ua.contains("crios/") || ua.contains("chromium/") { browser = .chrome }
        else if ua.contains("msie") || ua.contains("trident/") { browser = .internetExplorer }
        else if ua.contains("safari/") && ua.contains("version/") { browser = .safari }
        else { browser = .other }

        if ua.contains("ipad") || ua.contains("tablet") || ua.contains("kindle") || ua.contains("silk/")
            || (ua.contains("android") && !ua.contains("mobile")) {
            device = .tablet
        } else if ua.contains("mobi") || ua.contains("iphone") || ua.contains("ipod") || ua.contains("windows phone") {
            device = .mobile
        } else {
            device = .desktop
        }
    }
}
