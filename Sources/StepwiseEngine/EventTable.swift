import StepwiseCore

/// All events, sorted by (site, person, time), as contiguous columns: the table every
/// report scans. Immutable; `LiveEventTable` swaps in a new one as events arrive.
///
/// About 50 bytes per event: there is no person column, because each person's events
/// are one contiguous run (`personStart`), and sites are runs of persons. Sessions are not
/// stored: each report splits a person's run by its plan's session timeout as it scans.
public struct EventTable: Sendable {
    /// The store's global string dictionary, indexed by id.
    public internal(set) var strings: [String]
    public internal(set) var timestamp: [Int64]
    public internal(set) var visitor: [UInt32]
    /// Engine-local name and path codes; `nameDictionary[code]` is the string id. Local codes
    /// are dense, so a report keeps per-name or per-path state in small arrays, however
    /// many distinct URLs and props the global dictionary holds.
    public internal(set) var name: [UInt32]
    public internal(set) var nameDictionary: [UInt32]
    public internal(set) var path: [UInt32]
    public internal(set) var pathDictionary: [UInt32]
    /// Engine-local region code; regions are few, so two bytes an event instead of four.
    public internal(set) var region: [UInt16]
    public internal(set) var regionDictionary: [UInt32]
    /// String ids of the URL, referrer and props JSON (0 when absent): plan definitions
    /// match each distinct value once, not each event.
    public internal(set) var url: [UInt32]
    public internal(set) var referrer: [UInt32]
    public internal(set) var props: [UInt32]
    /// Revenue amount; 0 when none.
    public internal(set) var revenue: [Double]
    public internal(set) var channel: [UInt8]
    public internal(set) var device: [UInt8]
    public internal(set) var browser: [UInt8]
    public internal(set) var os: [UInt8]
    /// The event's own `BotReason` signal (user agent, webdriver); the person's verdict is `personBot`.
    public internal(set) var botSignal: [UInt8]
    /// Person p's events are `personStart[p] ..< personStart[p + 1]`.
    public internal(set) var personStart: [UInt32]
    public internal(set) var personKey: [UInt32]
    /// `BotReason` raw value per person; 0 for humans.
    public internal(set) var personBot: [UInt8]
    /// Site string id → range of person indices.
    public internal(set) var sitePersons: [UInt32: Range<Int>]

    public static let empty = EventTable(
        strings: [""], timestamp: [], visitor: [], name: [], nameDictionary: [0], path: [], pathDictionary: [0], region: [],
        regionDictionary: [0], url: [], referrer: [], props: [], revenue: [],
        channel: [], device: [], browser: [], os: [], botSignal: [], personStart: [0], personKey: [], personBot: [], sitePersons: [:])

    public var count: Int { timestamp.count }
    public var personCount: Int { personKey.count }

    /// The string id of a site, if any event of it was ever stored.
    public func siteID(_ site: String) -> UInt32? {
        sitePersons.keys.first { strings[Int($0)] == site }
    }

    public var siteNames: [String] { sitePersons.keys.map { strings[Int($0)] }.sorted() }

    /// The local code of an event name, if any event has it.
    public func nameCode(_ text: String) -> UInt32? {
        nameDictionary.firstIndex { strings[Int($0)] == text }.map { UInt32($0) }
    }

    @inline(__always) public func nameText(_ code: UInt32) -> String { strings[Int(nameDictionary[Int(code)])] }
    @inline(__always) public func pathText(_ code: UInt32) -> String { strings[Int(pathDictionary[Int(code)])] }
    @inline(__always) public func regionText(_ code: UInt16) -> String { strings[Int(regionDictionary[Int(code)])] }

    /// Person p's events.
    @inline(__always) public func events(ofPerson p: Int) -> Range<Int> { Int(personStart[p])..<Int(personStart[p + 1]) }

    /// Resident bytes of the columns (not counting the string dictionary).
    public var columnBytes: Int {
        count * (8 + 4 * 6 + 2 + 8 + 5) + personKey.count * (4 + 4 + 1)
    }
}
