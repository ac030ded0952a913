import StepwiseCore
import StepwisePlan

/// Hourly counts per event name and per watched plan definition, split by device and
/// browser, plus each site's bot traffic and the JSON types its props arrive with.
///
/// `LiveEventTable` folds every applied batch in as it lands, so tracking health reads
/// counts instead of rescanning events. Events with a bot signal of their own (user agent,
/// webdriver) are left out of the series and counted as bot traffic; a person found to be a
/// bot only by their speed is still in the series.
public struct VolumeIndex: Sendable {
    public struct Key: Hashable, Sendable {
        public var site: UInt32
        /// ≥ 0: an event name's string id; < 0: the site's watched definition −(index + 1).
        public var series: Int64
        /// Hours since the Unix epoch (UTC).
        public var hour: Int32
        public var device: UInt8
        public var browser: UInt8
    }

    public struct TrafficKey: Hashable, Sendable {
        public var site: UInt32
        public var hour: Int32
    }

    public struct Traffic: Sendable, Equatable {
        public var events: Int32 = 0
        public var botEvents: Int32 = 0

        public init(events: Int32 = 0, botEvents: Int32 = 0) {
            self.events = events
            self.botEvents = botEvents
        }
    }

    public struct PropTypeKey: Hashable, Sendable {
        public var site: UInt32
        public var event: UInt32
        public var key: String
        /// Days since the Unix epoch (UTC).
        public var day: Int32
        /// The JSON type name: number, string, boolean, array, object, null.
        public var type: String
    }

    public static let hourMillis: Int64 = 3_600_000

    public private(set) var counts: [Key: Int32] = [:]
    public private(set) var traffic: [TrafficKey: Traffic] = [:]
    public private(set) var propTypes: [PropTypeKey: Int32] = [:]
    /// Watched definitions per site string id, in the order their series codes count.
    public private(set) var watchedNames: [UInt32: [String]] = [:]
    private var watched: [UInt32: [RowMatcher]] = [:]
    /// Per site, per event-name string id: the watched definitions that name can match
    /// (most names match none), so a row costs one lookup, not one test per definition.
    private var candidates: [UInt32: [UInt32: [Int]]] = [:]
    /// Props id → its (key, type) pairs; props repeat (the same button, the same video).
    private var propShapes: [UInt32: [(String, String)]] = [:]

    public init() {}

    /// The series code of a watched definition.
    public static func definitionSeries(_ index: Int) -> Int64 { -Int64(index) - 1 }

    /// Folds newly committed rows in; `siteOf` maps a row's visitor to its site's string id.
    public mutating func fold(_ rows: EventRows, siteOf: (UInt32) -> UInt32, strings: [String]) {
        for i in 0..<rows.count {
            add(site: siteOf(rows.visitor[i]), time: rows.timestamp[i], name: rows.name[i], path: rows.path[i], url: rows.url[i],
                referrer: rows.referrer[i], props: rows.props[i], device: rows.device[i], browser: rows.browser[i],
                bot: rows.botSignal[i] != 0, strings: strings, definitionsOnly: false)
        }
    }

    /// Folds a whole table in: every site's events and watched definitions, or with `definitionsOf`
    /// only that site's watched definitions (when they change).
    public mutating func fold(table: EventTable, definitionsOf site: UInt32? = nil) {
        if let site, foldDefinitionsDensely(table: table, site: site) { return }
        for (siteID, persons) in table.sitePersons where site == nil || site == siteID {
            guard !persons.isEmpty else { continue }
            let first = Int(table.personStart[persons.lowerBound]), last = Int(table.personStart[persons.upperBound])
            for i in first..<last {
                add(site: siteID, time: table.timestamp[i], name: table.nameDictionary[Int(table.name[i])],
                    path: table.pathDictionary[Int(table.path[i])], url: table.url[i], referrer: table.referrer[i], props: table.props[i],
                    device: table.device[i], browser: table.browser[i], bot: table.botSignal[i] != 0, strings: table.strings,
                    definitionsOnly: site != nil)
            }
        }
    }

    /// A site's watched definitions over a table, compiled against its dictionaries (one
    /// verdict per path, per URL, per props string) and counted in a dense array of
    /// definition × hour × device × browser before it joins the index: several times faster
    /// than testing row by row. False (nothing done) when the hours span too far for the array.
    private mutating func foldDefinitionsDensely(table: EventTable, site: UInt32) -> Bool {
        guard let persons = table.sitePersons[site], let definitions = watched[site], !definitions.isEmpty else { return true }
        guard !persons.isEmpty else { return true }
        let first = Int(table.personStart[persons.lowerBound]), last = Int(table.personStart[persons.upperBound])
        var low = Int64.max, high = Int64.min
        for i in first..<last {
            low = min(low, table.timestamp[i])
            high = max(high, table.timestamp[i])
        }
        let lowHour = Timestamp.floorDivMod(low, Self.hourMillis).0, span = Int(Timestamp.floorDivMod(high, Self.hourMillis).0 - lowHour + 1)
        let cells = 64   // device (< 4) × 16 + browser (< 16)
        guard definitions.count * span * cells <= 16_000_000 else { return false }
        var matchers = definitions.map { CompiledMatcher($0.matcher, table: table) }
        let byName: [[Int]] = (0..<table.nameDictionary.count).map { code in
            matchers.indices.filter { matchers[$0].canMatch && (matchers[$0].nameCode.map { $0 == UInt32(code) } ?? true) }
        }
        var dense = [Int32](repeating: 0, count: definitions.count * span * cells)
        for i in first..<last where table.botSignal[i] == 0 {
            let candidates = byName[Int(table.name[i])]
            if candidates.isEmpty { continue }
            let hour = Int(Timestamp.floorDivMod(table.timestamp[i], Self.hourMillis).0 - lowHour)
            let cell = Int(table.device[i] & 3) * 16 + Int(table.browser[i] & 15)
            for k in candidates where matchers[k].matchesDetails(i, in: table) { dense[(k * span + hour) * cells + cell] += 1 }
        }
        for (index, count) in dense.enumerated() where count != 0 {
            let k = index / (span * cells), hour = (index / cells) % span, cell = index % cells
            let key = Key(site: site, series: Self.definitionSeries(k), hour: Int32(lowHour + Int64(hour)), device: UInt8(cell / 16), browser: UInt8(cell % 16))
            counts[key, default: 0] += count
        }
        return true
    }

    /// Starts counting a site's definitions (replacing any earlier set); the caller folds the
    /// site's existing events in with `fold(table:definitionsOf:)`. False when nothing changed.
    public mutating func watch(site: UInt32, definitions: [(name: String, when: EventMatcher)]) -> Bool {
        if watchedNames[site] == definitions.map(\.name), watched[site]?.map(\.matcher) == definitions.map(\.when) { return false }
        counts = counts.filter { $0.key.site != site || $0.key.series >= 0 }
        watchedNames[site] = definitions.map(\.name)
        watched[site] = definitions.map { RowMatcher($0.when) }
        candidates[site] = [:]
        return true
    }

    private mutating func add(
        site: UInt32, time: Int64, name: UInt32, path: UInt32, url: UInt32, referrer: UInt32, props: UInt32,
        device: UInt8, browser: UInt8, bot: Bool, strings: [String], definitionsOnly: Bool
    ) {
        let hour = Int32(Timestamp.floorDivMod(time, Self.hourMillis).0)
        if !definitionsOnly {
            let trafficKey = TrafficKey(site: site, hour: hour)
            traffic[trafficKey, default: Traffic()].events += 1
            if bot { traffic[trafficKey]!.botEvents += 1 }
            if props != 0 { recordPropTypes(site: site, event: name, props: props, day: Int32(Timestamp.floorDivMod(time, 86_400_000).0), strings: strings) }
        }
        guard !bot else { return }
        if !definitionsOnly { counts[Key(site: site, series: Int64(name), hour: hour, device: device, browser: browser), default: 0] += 1 }
        guard watched[site] != nil else { return }
        let names = candidates[site]?[name] ?? {
            let text = Int(name) < strings.count ? strings[Int(name)] : ""
            let found = watched[site]!.indices.filter { watched[site]![$0].matcher.event.map { $0 == text } ?? true }
            candidates[site, default: [:]][name] = found
            return found
        }()
        if names.isEmpty { return }
        // Taken out while used, so the memos inside are mutated in place, not copied.
        var matchers = watched.removeValue(forKey: site)!
        for k in names
        where matchers[k].matches(name: name, path: path, url: url, referrer: referrer, props: props, strings: strings) {
            counts[Key(site: site, series: Self.definitionSeries(k), hour: hour, device: device, browser: browser), default: 0] += 1
        }
        watched[site] = matchers
    }

    private mutating func recordPropTypes(site: UInt32, event: UInt32, props: UInt32, day: Int32, strings: [String]) {
        let shape: [(String, String)]
        if let known = propShapes[props] {
            shape = known
        } else {
            let object = Int(props) < strings.count ? PropsCache.object(strings[Int(props)]) : JSONObject()
            shape = zip(object.keys, object.values).map { ($0, $1.typeName) }
            if propShapes.count > 50_000 { propShapes.removeAll(keepingCapacity: true) }
            propShapes[props] = shape
        }
        for (key, type) in shape {
            propTypes[PropTypeKey(site: site, event: event, key: key, day: day, type: type), default: 0] += 1
        }
    }
}
