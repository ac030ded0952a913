import StepwiseCore

/// Events as plain columns in arrival order: what storage hands the engine at load and
/// after each commit. String columns hold ids of the store's global string dictionary.
public struct EventRows: Sendable {
    public var timestamp: [Int64] = []
    public var visitor: [UInt32] = []
    public var name: [UInt32] = []
    public var path: [UInt32] = []
    public var region: [UInt32] = []
    /// String ids of the URL, the referrer and the props as canonical JSON; 0 when absent.
    public var url: [UInt32] = []
    public var referrer: [UInt32] = []
    public var props: [UInt32] = []
    /// The event's revenue amount; 0 when none.
    public var revenue: [Double] = []
    public var channel: [UInt8] = []
    public var device: [UInt8] = []
    public var browser: [UInt8] = []
    public var os: [UInt8] = []
    /// `BotReason` raw value of the event's own signal (user agent, webdriver).
    public var botSignal: [UInt8] = []

    public init() {}

    public var count: Int { timestamp.count }
    public var isEmpty: Bool { timestamp.isEmpty }

    public mutating func reserveCapacity(_ n: Int) {
        timestamp.reserveCapacity(n); visitor.reserveCapacity(n); name.reserveCapacity(n); path.reserveCapacity(n)
        region.reserveCapacity(n); url.reserveCapacity(n); referrer.reserveCapacity(n); props.reserveCapacity(n)
        revenue.reserveCapacity(n); channel.reserveCapacity(n); device.reserveCapacity(n); browser.reserveCapacity(n)
        os.reserveCapacity(n); botSignal.reserveCapacity(n)
    }

    public mutating func append(
        timestamp: Int64, visitor: UInt32, name: UInt32, path: UInt32, region: UInt32,
        url: UInt32 = 0, referrer: UInt32 = 0, props: UInt32 = 0, revenue: Double = 0,
        channel: UInt8, device: UInt8, browser: UInt8, os: UInt8, botSignal: UInt8
    ) {
        self.timestamp.append(timestamp); self.visitor.append(visitor); self.name.append(name); self.path.append(path)
        self.region.append(region); self.url.append(url); self.referrer.append(referrer); self.props.append(props)
        self.revenue.append(revenue); self.channel.append(channel); self.device.append(device); self.browser.append(browser)
        self.os.append(os); self.botSignal.append(botSignal)
    }

    public mutating func append(contentsOf other: EventRows) {
        timestamp += other.timestamp; visitor += other.visitor; name += other.name; path += other.path
        region += other.region; url += other.url; referrer += other.referrer; props += other.props
        revenue += other.revenue; channel += other.channel; device += other.device; browser += other.browser
        os += other.os; botSignal += other.botSignal
    }

    public mutating func removeAll() { self = EventRows() }
}
