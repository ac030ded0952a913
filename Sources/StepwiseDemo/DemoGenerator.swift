import StepwiseCore

/// Generates realistic, seeded traffic for one demo site and records its ground truth.
///
/// The causal model is deliberately simple so its truth is exact: each micro is done (or
/// not) independently before the funnel, and multiplies one funnel step's probability by its
/// true effect, so the macro rate of persons who did it is that many times higher.
public struct DemoGenerator: Sendable {
    public var profile: DemoSiteProfile
    public var seed: UInt64
    public var visitors: Int
    /// End of the generated period (ms); the period covers the 28 days before it.
    public var end: Int64
    public var days = 28
    public var botShare = 0.03

    public init(profile: DemoSiteProfile, seed: UInt64, visitors: Int, end: Int64) {
        self.profile = profile
        self.seed = seed
        self.visitors = visitors
        self.end = end
    }

    static let experimentName = "product_cta"
    static let experimentLift = 0.25

    /// Calls `emit` with every event (per visitor in time order) and returns the truth.
    public func generate(_ emit: (CanonicalEvent) throws -> Void) rethrows -> DemoGroundTruth {
        var random = SeededRandom(seed: seed ^ UInt64(truncatingIfNeeded: profile.site.hashValueStable))
        let start = end - Int64(days) * 86_400_000
        var personsByEvent: [String: Set<String>] = [:]
        var eventsByEvent: [String: Int] = [:]
        var funnelPersons = [Int](repeating: 0, count: profile.funnel.count)
        var botVisitors: [String: Int] = [:]
        var humanPersons = 0
        var crossDevice = 0
        var eventCounter = 0
        var channelPersons: [String: Int] = [:], channelFirstStep: [String: Int] = [:]

        for index in 0..<visitors {
            var script = VisitorScript(
                site: profile.site, visitor: "v_\(index)_\(String(random.next() % 1_000_000, radix: 36))",
                timezone: random.chance(0.8) ? profile.timezone : ["Europe/London", "America/Los_Angeles", "Asia/Singapore"][random.int(0...2)])
            if random.chance(botShare) {
                let reason = generateBot(&script, random: &random, start: start)
                botVisitors[reason.description, default: 0] += 1
            } else {
                let channel = generateHuman(&script, random: &random, start: start, crossDevice: &crossDevice)
                // Sessions that would run past the period's end are cut there, as a real export would be.
                script.events.removeAll { $0.timestamp > end }
                channelPersons[channel.description, default: 0] += 1
                if script.events.contains(where: { $0.name == profile.funnel[0] }) { channelFirstStep[channel.description, default: 0] += 1 }
                humanPersons += 1
                let names = Set(script.events.map(\.name))
                for step in 0..<(profile.funnel.firstIndex { !names.contains($0) } ?? profile.funnel.count) { funnelPersons[step] += 1 }
                for event in script.events {
                    personsByEvent[event.name, default: []].insert(script.person)
                    eventsByEvent[event.name, default: 0] += 1
                }
            }
            for var event in script.events {
                eventCounter += 1
                event.id = "\(profile.site.prefix(4))-\(seed)-\(eventCounter)"
                try emit(event)
            }
        }
        let isShop = profile.macro == "purchase"
        return DemoGroundTruth(
            site: profile.site, seed: seed, start: start, end: end, visitors: visitors, humanPersons: humanPersons,
            botVisitors: botVisitors, macro: profile.macro, funnel: profile.funnel, funnelPersons: funnelPersons,
            personsByEvent: personsByEvent.mapValues(\.count), eventsByEvent: eventsByEvent,
            micros: profile.micros.map { .init(name: $0.name, prevalence: $0.prevalence, effect: $0.effect) },
            postMacroMicro: profile.postMacroMicro, mobileLeakStep: profile.funnel[profile.funnel.count - 2],
            experiment: isShop
                ? .init(name: Self.experimentName, variants: ["control": 50, "bold_cta": 50], primary: profile.funnel[1],
                        guardrail: profile.macro, treatment: "bold_cta", trueRelativeLift: Self.experimentLift)
                : nil,
            crossDevicePersons: crossDevice, channelPersons: channelPersons, channelFirstStep: channelFirstStep)
    }

    // MARK: Humans

    /// Writes one human's visits; returns the channel they arrived through.
    private func generateHuman(_ script: inout VisitorScript, random: inout SeededRandom, start: Int64, crossDevice: inout Int) -> Channel {
        let device = [DeviceType.desktop, .mobile, .tablet][random.weighted([55, 38, 7])]
        script.userAgent = Self.userAgents(device)[random.int(0...2)]
        // Arrivals run to the end, so daily volumes stay steady (tracking health judges them);
        // what a late visitor would do after the end is cut with the rest.
        let latest = end - 3_600_000
        script.beginSession(at: start + Int64(random.unit() * Double(latest - start)))
        let (url, referrer, channel) = landing(random: &random)
        let boost = Self.channelIntent[channel]!
        script.pageview(url: url, referrer: referrer, random: &random)
        for _ in 0..<random.int(0...3) { script.pageview(path: profile.pages[random.int(0...profile.pages.count - 1)], random: &random) }

        // Micros, all before the funnel so their effect is causal and visible.
        var multiplier = [Double](repeating: 1, count: profile.funnel.count)
        for (k, micro) in profile.micros.enumerated() where random.chance(micro.prevalence) {
            script.emit(micro.name, random: &random)
            // The strongest micro acts on the last step, the second on the second step.
            let step = k == 0 ? profile.funnel.count - 1 : 1
            multiplier[step] *= micro.effect
        }
        // Browsing sessions on later days.
        while random.chance(0.45), script.clock < end {
            script.beginSession(at: script.clock + Int64(3_600_000 + random.unit() * 4 * 86_400_000))
            script.pageview(url: "https://\(profile.site)\(profile.pages[random.int(0...profile.pages.count - 1)])", referrer: nil, random: &random)
        }

        // The funnel: every step inside the 7-day window.
        let isShop = profile.macro == "purchase"
        var variant: String?
        // Step probabilities. The last shop step stays at 1/3 so the ×3 micro never hits a
        // probability of 1, which would cap (and so falsify) its true effect; buying lands near 1.7 %.
        let probabilities: [Double] = isShop
            ? [0.30 * boost, 0.21, device == .mobile ? 0.35 : (device == .tablet ? 0.5 : 0.6), 1.0 / 3]
            : [0.25 * boost, 0.2, 0.3]
        var reached = 0
        for (k, step) in profile.funnel.enumerated() {
            var p = probabilities[k] * multiplier[k]
            if k == 1, let variant, variant == "bold_cta" { p *= 1 + Self.experimentLift }
            guard random.chance(min(p, 1)) else { break }
            if k > 0, random.chance(0.2) {
                script.beginSession(at: script.clock + Int64(2_400_000 + random.unit() * 30 * 3_600_000))
            }
            if k == 0 {
                let item = isShop ? "\(profile.itemPath)\(random.int(1...40))" : profile.itemPath
                script.pageview(path: item, random: &random)
                if isShop {
                    variant = ExperimentAssignment.variant(experiment: Self.experimentName, person: script.visitor,
                                                           weights: [("control", 50), ("bold_cta", 50)])
                    script.emit("$exposure", props: ["experiment": .string(Self.experimentName), "variant": .string(variant!)], random: &random)
                }
            }
            if step == profile.macro {
                let user = "u_\(script.visitor.dropFirst(2))"
                if random.chance(0.7) { script.user = user }
                let amount = Double(random.int(20...240))
                script.emit(step, props: ["items": .number(Double(random.int(1...4)))],
                            revenue: isShop ? Revenue(amount: amount, currency: "AUD") : nil, random: &random)
            } else {
                script.emit(step, random: &random)
            }
            reached = k + 1
        }
        if reached == profile.funnel.count {
            if random.chance(0.4) { script.emit(profile.postMacroMicro, random: &random) }
            // Some identified buyers come back on a second device: one person, two visitors.
            if script.user != nil, random.chance(0.15), script.clock < end - 86_400_000 {
                crossDevice += 1
                script.secondDevice(userAgent: Self.userAgents(device == .desktop ? .mobile : .desktop)[0],
                                    at: script.clock + Int64(3_600_000 + random.unit() * 12 * 3_600_000), random: &random)
                script.pageview(path: "/account", random: &random)
            }
        }
        return channel
    }

    /// How much each channel multiplies the chance of the first funnel step: the truth the
    /// attribution report's channel quality should recover.
    public static let channelIntent: [Channel: Double] = [
        .direct: 1.0, .organicSearch: 1.0, .paidSearch: 1.2, .organicSocial: 0.8, .paidSocial: 0.9,
        .email: 1.5, .referral: 1.1, .display: 0.5,
    ]

    /// A landing URL and referrer, and the channel they make.
    private func landing(random: inout SeededRandom) -> (String, String?, Channel) {
        let base = "https://\(profile.site)\(profile.pages[random.int(0...2)])"
        let (url, referrer, channel): (String, String?, Channel) = switch random.weighted([25, 30, 12, 10, 8, 7, 6, 2]) {
        case 0: (base, nil, .direct)
        case 1: (base, random.chance(0.85) ? "https://www.google.com/" : "https://www.bing.com/", .organicSearch)
        case 2: (base + "?utm_source=google&utm_medium=cpc&utm_campaign=brand&gclid=Cj0K\(random.next() % 100_000_000)", "https://www.google.com/", .paidSearch)
        case 3: (base, random.chance(0.5) ? "https://l.facebook.com/" : "https://t.co/abc", .organicSocial)
        case 4: (base + "?utm_source=facebook&utm_medium=paid_social&utm_campaign=retargeting&fbclid=IwAR\(random.next() % 100_000_000)", "https://m.facebook.com/", .paidSocial)
        case 5: (base + "?utm_source=newsletter&utm_medium=email&utm_campaign=weekly", nil, .email)
        case 6: (base, "https://blog.partner.example/best-of", .referral)
        default: (base + "?utm_source=gdn&utm_medium=display&utm_campaign=awareness", nil, .display)
        }
        return (url, referrer, channel)
    }

    // MARK: Bots

    private func generateBot(_ script: inout VisitorScript, random: inout SeededRandom, start: Int64) -> BotReason {
        script.beginSession(at: start + Int64(random.unit() * Double(end - start - 3_600_000)))
        switch random.weighted([40, 20, 20, 20]) {
        case 0:
            script.userAgent = ["Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
                                "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
                                "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)"][random.int(0...2)]
            for _ in 0..<random.int(5...20) { script.pageview(path: profile.pages[random.int(0...profile.pages.count - 1)], random: &random) }
            return .userAgent
        case 1:
            script.userAgent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36"
            for _ in 0..<random.int(3...8) { script.pageview(path: profile.pages[random.int(0...profile.pages.count - 1)], random: &random) }
            script.emit(profile.funnel[0], random: &random)
            return .userAgent
        case 2:
            script.userAgent = Self.userAgents(.desktop)[0]
            script.webdriver = true
            for _ in 0..<random.int(3...8) { script.pageview(path: profile.pages[random.int(0...profile.pages.count - 1)], random: &random) }
            script.emit(profile.funnel[0], random: &random)
            return .webdriver
        default:
            // A scraper with a browser's user agent, betrayed only by its speed.
            script.userAgent = Self.userAgents(.desktop)[1]
            for _ in 0..<40 {
                script.pageview(path: profile.pages[random.int(0...profile.pages.count - 1)], random: &random, gap: 200...400)
            }
            return .inhumanSpeed
        }
    }

    static func userAgents(_ device: DeviceType) -> [String] {
        switch device {
        case .mobile:
            ["Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
             "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
             "Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36"]
        case .tablet:
            ["Mozilla/5.0 (iPad; CPU OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
             "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
             "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1"]
        default:
            ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
             "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15",
             "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0"]
        }
    }
}

/// One visitor's events as they are written, with a clock that moves forward.
struct VisitorScript {
    let site: String
    var visitor: String
    let timezone: String
    var userAgent: String?
    var user: String?
    var webdriver = false
    var clock: Int64 = 0
    var currentURL = ""
    var events: [CanonicalEvent] = []
    /// The person reports should count: the user once known, else the visitor.
    var person: String { user ?? visitor }

    init(site: String, visitor: String, timezone: String) {
        self.site = site
        self.visitor = visitor
        self.timezone = timezone
    }

    mutating func beginSession(at time: Int64) { clock = time }

    mutating func advance(_ random: inout SeededRandom, gap: ClosedRange<Int> = 8_000...90_000) {
        clock += Int64(random.int(gap))
    }

    mutating func pageview(path: String, random: inout SeededRandom, gap: ClosedRange<Int> = 8_000...90_000) {
        pageview(url: "https://\(site)\(path)", referrer: currentURL.isEmpty ? nil : currentURL, random: &random, gap: gap)
    }

    mutating func pageview(url: String, referrer: String?, random: inout SeededRandom, gap: ClosedRange<Int> = 8_000...90_000) {
        currentURL = url
        append("pageview", referrer: referrer, props: [:], revenue: nil)
        advance(&random, gap: gap)
    }

    mutating func emit(_ name: String, props: [String: JSONValue] = [:], revenue: Revenue? = nil, random: inout SeededRandom) {
        append(name, referrer: nil, props: props, revenue: revenue)
        advance(&random)
    }

    private mutating func append(_ name: String, referrer: String?, props: [String: JSONValue], revenue: Revenue?) {
        let keys = props.keys.sorted()
        events.append(CanonicalEvent(
            site: site, name: name, visitor: visitor, user: user, timestamp: clock, url: currentURL, referrer: referrer,
            props: JSONObject(keys: keys, values: keys.map { props[$0]! }), revenue: revenue, userAgent: userAgent,
            timezone: timezone, webdriver: webdriver))
    }

    /// Switches to another device of the same user: a new visitor id, same person.
    mutating func secondDevice(userAgent: String, at time: Int64, random: inout SeededRandom) {
        visitor += "_m"
        self.userAgent = userAgent
        currentURL = ""
        clock = time
    }
}

extension String {
    /// FNV-1a: a hash that, unlike `hashValue`, is the same in every process.
    var hashValueStable: UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return hash
    }
}
