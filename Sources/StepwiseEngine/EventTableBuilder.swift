import Dispatch
import StepwiseCore

/// Builds a sorted `EventTable` from a previous table plus newly arrived rows.
///
/// One counting sort by person rank, in O(events + persons): persons are ordered by
/// (site, person key) with buckets, never a comparison sort over events. Because person
/// keys are recomputed from the identity graph on every build, a visitor linked to a user
/// after the fact moves its earlier events to that user's person: identity stitching is
/// retroactive by construction.
public struct EventTableBuilder: Sendable {
    /// Sustained speed no human reaches: this many events inside `speedWindowMillis`.
    public var speedEvents = 30
    public var speedWindowMillis: Int64 = 10_000

    public init() {}

    public func build(previous: EventTable, appended: EventRows, identities: IdentityGraph, strings: [String]) -> EventTable {
        let oldCount = previous.count
        let n = oldCount + appended.count

        // 1. Events per person key.
        let keyCount = identities.maxPersonKey + 2
        var eventsPerKey = [Int32](repeating: 0, count: keyCount)
        @inline(__always) func visitorAt(_ i: Int) -> UInt32 { i < oldCount ? previous.visitor[i] : appended.visitor[i - oldCount] }
        var keyOfEvent = [UInt32](repeating: 0, count: n)
        for i in 0..<n {
            let key = identities.personKey(ofVisitor: visitorAt(i))
            keyOfEvent[i] = key
            eventsPerKey[Int(key)] += 1
        }

        // 2. Persons ordered by (site, key): bucket keys by site, keys ascending within each.
        var keysBySite: [UInt32: [UInt32]] = [:]
        for key in 0..<keyCount where eventsPerKey[key] > 0 {
            keysBySite[identities.site(ofPersonKey: UInt32(key)), default: []].append(UInt32(key))
        }
        var personKey: [UInt32] = []
        personKey.reserveCapacity(keysBySite.values.reduce(0) { $0 + $1.count })
        var sitePersons: [UInt32: Range<Int>] = [:]
        for site in keysBySite.keys.sorted(by: { strings[Int($0)] < strings[Int($1)] }) {
            let start = personKey.count
            personKey += keysBySite[site]!
            sitePersons[site] = start..<personKey.count
        }
        var rankOfKey = [Int32](repeating: -1, count: keyCount)
        var personStart = [UInt32](repeating: 0, count: personKey.count + 1)
        for (rank, key) in personKey.enumerated() {
            rankOfKey[Int(key)] = Int32(rank)
            personStart[rank + 1] = personStart[rank] + UInt32(eventsPerKey[Int(key)])
        }
        eventsPerKey = []

        // 3. Scatter every event to its person's run: old events first (already in time
        //    order), then new ones in arrival order, so ties keep a stable, storage-independent order.
        var position = [Int](repeating: 0, count: n)
        var cursor = personStart.dropLast().map(Int.init)
        for i in 0..<n {
            let rank = Int(rankOfKey[Int(keyOfEvent[i])])
            position[i] = cursor[rank]
            cursor[rank] += 1
        }
        keyOfEvent = []
        rankOfKey = []
        cursor = []

        var table = EventTable.empty
        table.strings = strings
        table.personStart = personStart
        table.personKey = personKey
        table.sitePersons = sitePersons
        var nameDictionary = previous.nameDictionary, pathDictionary = previous.pathDictionary
        var regionDictionary = previous.regionDictionary
        let appendedNames: [UInt32] = localCodes(appended.name, dictionary: &nameDictionary)
        let appendedPaths: [UInt32] = localCodes(appended.path, dictionary: &pathDictionary)
        let appendedRegions: [UInt16] = localCodes(appended.region, dictionary: &regionDictionary)
        table.nameDictionary = nameDictionary
        table.pathDictionary = pathDictionary
        table.regionDictionary = regionDictionary
        // Columns scatter independently: spread them over the cores.
        let columns = ScatteredColumns()
        let positions = position
        position = []
        DispatchQueue.concurrentPerform(iterations: 14) { column in
            switch column {
            case 0: columns.timestamp = scatter(previous.timestamp, appended.timestamp, positions)
            case 1: columns.visitor = scatter(previous.visitor, appended.visitor, positions)
            case 2: columns.name = scatter(previous.name, appendedNames, positions)
            case 3: columns.path = scatter(previous.path, appendedPaths, positions)
            case 4: columns.region = scatter(previous.region, appendedRegions, positions)
            case 5: columns.channel = scatter(previous.channel, appended.channel, positions)
            case 6: columns.device = scatter(previous.device, appended.device, positions)
            case 7: columns.browser = scatter(previous.browser, appended.browser, positions)
            case 8: columns.os = scatter(previous.os, appended.os, positions)
            case 9: columns.url = scatter(previous.url, appended.url, positions)
            case 10: columns.referrer = scatter(previous.referrer, appended.referrer, positions)
            case 11: columns.props = scatter(previous.props, appended.props, positions)
            case 12: columns.revenue = scatter(previous.revenue, appended.revenue, positions)
            default: columns.botSignal = scatter(previous.botSignal, appended.botSignal, positions)
            }
        }
        table.timestamp = columns.timestamp
        table.visitor = columns.visitor
        table.name = columns.name
        table.path = columns.path
        table.region = columns.region
        table.channel = columns.channel
        table.device = columns.device
        table.browser = columns.browser
        table.os = columns.os
        table.url = columns.url
        table.referrer = columns.referrer
        table.props = columns.props
        table.revenue = columns.revenue
        table.botSignal = columns.botSignal
        // Drop the slots' references: the table's columns must be unique, or the first in-place
        // sort below would copy a whole column.
        columns.release()

        // 4. Within each person: restore time order where new events landed out of order,
        //    then judge bots.
        table.personBot = [UInt8](repeating: 0, count: personKey.count)
        for p in 0..<personKey.count {
            let run = table.events(ofPerson: p)
            sortRunIfNeeded(&table, run)
            table.personBot[p] = botVerdict(table, run: run)
        }
        return table
    }

    /// Maps string ids to the table's dense local codes, extending the dictionary. A code
    /// type too narrow for every distinct value (regions past 65,535, never seen: they come
    /// from time zones) maps the rest to code 0.
    private func localCodes<Code: FixedWidthInteger & UnsignedInteger>(_ ids: [UInt32], dictionary: inout [UInt32]) -> [Code] {
        var codes = [UInt32: Code](minimumCapacity: dictionary.count)
        for (code, id) in dictionary.enumerated() { codes[id] = Code(code) }
        var lastID: UInt32 = .max
        var lastCode: Code = 0
        return ids.map { id in
            if id == lastID { return lastCode }
            var code = codes[id] ?? 0
            if codes[id] == nil, dictionary.count <= Int(Code.max) {
                code = Code(dictionary.count)
                dictionary.append(id)
                codes[id] = code
            }
            lastID = id
            lastCode = code
            return code
        }
    }

    private func scatter<T>(_ old: [T], _ new: [T], _ position: [Int]) -> [T] {
        let n = position.count
        return [T](unsafeUninitializedCapacity: n) { buffer, initialized in
            position.withUnsafeBufferPointer { pos in
                for i in 0..<old.count { (buffer.baseAddress! + pos[i]).initialize(to: old[i]) }
                let offset = old.count
                for j in 0..<new.count { (buffer.baseAddress! + pos[offset + j]).initialize(to: new[j]) }
            }
            initialized = n
        }
    }

    /// Stable sort of one person's run by time; a no-op check for the common sorted case.
    private func sortRunIfNeeded(_ table: inout EventTable, _ run: Range<Int>) {
        var sorted = true
        var i = run.lowerBound + 1
        while i < run.upperBound {
            if table.timestamp[i] < table.timestamp[i - 1] { sorted = false; break }
            i += 1
        }
        if sorted { return }
        let order = run.sorted { a, b in
            let ta = table.timestamp[a], tb = table.timestamp[b]
            return ta != tb ? ta < tb : a < b
        }
        func permute<T>(_ column: inout [T]) {
            let values = order.map { column[$0] }
            column.replaceSubrange(run, with: values)
        }
        permute(&table.timestamp); permute(&table.visitor); permute(&table.name); permute(&table.path)
        permute(&table.region); permute(&table.channel); permute(&table.device); permute(&table.browser)
        permute(&table.os); permute(&table.url); permute(&table.referrer); permute(&table.props)
        permute(&table.revenue); permute(&table.botSignal)
    }

    /// The first bot signal of any of the person's events, else inhuman speed, else human (0).
    private func botVerdict(_ table: EventTable, run: Range<Int>) -> UInt8 {
        var windowStart = run.lowerBound
        var speed: UInt8 = 0
        for i in run {
            if table.botSignal[i] != 0 { return table.botSignal[i] }
            let t = table.timestamp[i]
            while t - table.timestamp[windowStart] > speedWindowMillis { windowStart += 1 }
            if speed == 0, i - windowStart + 1 >= speedEvents { speed = BotReason.inhumanSpeed.rawValue }
        }
        return speed
    }
}

/// Output slots for the parallel scatter: each column is written by exactly one iteration
/// of `concurrentPerform`, and read only after it returns.
private final class ScatteredColumns: @unchecked Sendable {
    var timestamp: [Int64] = []
    var visitor: [UInt32] = []
    var name: [UInt32] = []
    var path: [UInt32] = []
    var region: [UInt16] = []
    var channel: [UInt8] = []
    var device: [UInt8] = []
    var browser: [UInt8] = []
    var os: [UInt8] = []
    var url: [UInt32] = []
    var referrer: [UInt32] = []
    var props: [UInt32] = []
    var revenue: [Double] = []
    var botSignal: [UInt8] = []

    func release() {
        timestamp = []; visitor = []; name = []; path = []; region = []; channel = []; device = []; browser = []; os = []
        url = []; referrer = []; props = []; revenue = []; botSignal = []
    }
}
