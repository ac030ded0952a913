import StepwiseCore

/// All events, sorted by (site, person, time), as contiguous columns: the table every
/// report scans. Immutable; `LiveEventTable` swaps in a new one as events arrive.
///
/// About 30 bytes per event: there is no person column, because each person's events
/// are one contiguous run (`personStart`), and sites are runs of persons.
public struct EventTable: Sendable {
    /// Flag bits in `flags`.
    public enum Flag {
        public static let sessionStart: UInt8 = 0x08
        /// The low three bits hold the event's own `BotReason` signal.
        public static let botSignalMask: UInt8 = 0x07
    }

    /// The store's global string dictionary, indexed by id.
    public internal(set) var strings: [String]
    public internal(set) var timestamp: [Int64]
    public internal(set) var visitor: [UInt32]
    public internal(set) var name: [UInt32]
    public internal(set) var path: [UInt32]
    /// Engine-local region code; `regionDictionary[code]` is the string id. Regions are few,
    /// so two bytes an event instead of four.
    public internal(set) var region: [UInt16]
    public internal(set) var regionDictionary: [UInt32]
    public internal(set) var channel: [UInt8]
    public internal(set) var device: [UInt8]
    public internal(set) var browser: [UInt8]
    public internal(set) var os: [UInt8]
    /// Low 3 bits: the event's own `BotReason` signal; `Flag` bits above.
    public internal(set) var flags: [UInt8]
    /// Person p's events are `personStart[p] ..< personStart[p + 1]`.
    public internal(set) var personStart: [UInt32]
    public internal(set) var personKey: [UInt32]
    /// `BotReason` raw value per person; 0 for humans.
    public internal(set) var personBot: [UInt8]
    /// Site string id → range of person indices.
    public internal(set) var sitePersons: [UInt32: Range<Int>]

    public static let empty = EventTable(
        strings: [""], timestamp: [], visitor: [], name: [], path: [], region: [], regionDictionary: [0], channel: [], device: [], browser: [],
        os: [], flags: [], personStart: [0], personKey: [], personBot: [], sitePersons: [:])

    public var count: Int { timestamp.count }
    public var personCount: Int { personKey.count }

    /// The string id of a site, if any event of it was ever stored.
    public func siteID(_ site: String) -> UInt32? {
        sitePersons.keys.first { strings[Int($0)] == site }
    }

    public var siteNames: [String] { sitePersons.keys.map { strings[Int($0)] }.sorted() }

    /// Person p's events.
    @inline(__always) public func events(ofPerson p: Int) -> Range<Int> { Int(personStart[p])..<Int(personStart[p + 1]) }

    /// Resident bytes of the columns (not counting the string dictionary).
    public var columnBytes: Int {
        count * (8 + 4 * 3 + 2 + 5) + personKey.count * (4 + 4 + 1)
    }
}
