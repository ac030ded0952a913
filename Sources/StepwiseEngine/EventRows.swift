import StepwiseCore

/// Events as plain columns in arrival order: what storage hands the engine at load and
/// after each commit. String columns hold ids of the store's global string dictionary.
public struct EventRows: Sendable {
    public var timestamp: [Int64] = []
    public var visitor: [UInt32] = []
    public var name: [UInt32] = []
    public var path: [UInt32] = []
    public var region: [UInt32] = []
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
        region.reserveCapacity(n); channel.reserveCapacity(n); device.reserveCapacity(n); browser.reserveCapacity(n)
        os.reserveCapacity(n); botSignal.reserveCapacity(n)
    }

    public mutating func append(
        timestamp: Int64, visitor: UInt32, name: UInt32, path: UInt32, region: UInt32,
        channel: UInt8, device: UInt8, browser: UInt8, os: UInt8, botSignal: UInt8
    ) {
        self.timestamp.append(timestamp); self.visitor.append(visitor); self.name.append(name); self.path.append(path)
        self.region.append(region); self.channel.append(channel); self.device.append(device); self.browser.append(browser)
        self.os.append(os); self.botSignal.append(botSignal)
    }

    public mutating func append(contentsOf other: EventRows) {
        timestamp += other.timestamp; visitor += other.visitor; name += other.name; path += other.path
        region += other.region; channel += other.channel; device += other.device; browser += other.browser
        os += other.os; botSignal += other.botSignal
    }

    public mutating func removeAll() { self = EventRows() }
}
