import StepwiseCore
import StepwisePlan

/// A list of segments compiled against one table: what a scan asks per session and per event.
struct CompiledSegments {
    private var channel: UInt8?
    private var landingPage: [Bool]?
    private var visitorTypeNew: Bool?
    private var device: UInt8?
    private var browser: UInt8?
    private var os: UInt8?
    /// Region codes whose text equals the segment's region; empty matches nothing.
    private var regions: [Bool]?
    private var props: [(key: String, value: String)] = []
    private var propsMemo: [UInt32: Bool] = [:]
    /// A dimension asked twice with different values can keep nothing.
    private var contradictory = false

    let isEmpty: Bool
    let hasEventConditions: Bool

    init(_ segments: [Segment], table: EventTable) {
        isEmpty = segments.isEmpty
        var eventConditions = false
        func set<T: Equatable>(_ slot: inout T?, _ value: T, contradictory: inout Bool) {
            if let existing = slot, existing != value { contradictory = true }
            slot = value
        }
        for segment in segments {
            switch segment.dimension {
            case .channel: set(&channel, segment.code!, contradictory: &contradictory)
            case .visitorType: set(&visitorTypeNew, segment.value == "new", contradictory: &contradictory)
            case .landingPage:
                let verdict = table.pathDictionary.map { segment.glob!.matches(table.strings[Int($0)]) }
                landingPage = landingPage.map { zip($0, verdict).map { $0 && $1 } } ?? verdict
            case .device: set(&device, segment.code!, contradictory: &contradictory); eventConditions = true
            case .browser: set(&browser, segment.code!, contradictory: &contradictory); eventConditions = true
            case .os: set(&os, segment.code!, contradictory: &contradictory); eventConditions = true
            case .region:
                let verdict = table.regionDictionary.map { table.strings[Int($0)].lowercased() == segment.value.lowercased() }
                regions = regions.map { zip($0, verdict).map { $0 && $1 } } ?? verdict
                eventConditions = true
            case .prop(let key): props.append((key, segment.value)); eventConditions = true
            }
        }
        hasEventConditions = eventConditions
    }

    /// Session-scoped dimensions, judged on the session's first event.
    func keepsSession(firstEvent i: Int, isFirstSession: Bool, in table: EventTable) -> Bool {
        if contradictory { return false }
        if let channel, table.channel[i] != channel { return false }
        if let landingPage, !landingPage[Int(table.path[i])] { return false }
        if let visitorTypeNew, visitorTypeNew != isFirstSession { return false }
        return true
    }

    /// Event-scoped dimensions.
    @inline(__always)
    mutating func keepsEvent(_ i: Int, in table: EventTable) -> Bool {
        if let device, table.device[i] != device { return false }
        if let browser, table.browser[i] != browser { return false }
        if let os, table.os[i] != os { return false }
        if let regions, !regions[Int(table.region[i])] { return false }
        if !props.isEmpty {
            let id = table.props[i]
            if let known = propsMemo[id] { return known }
            let object = PropsCache.object(table.strings[Int(id)])
            let verdict = props.allSatisfy { condition in
                guard let value = object[condition.key] else { return false }
                return PropPredicate.equal(value, .string(condition.value))
            }
            propsMemo[id] = verdict
            return verdict
        }
        return true
    }
}
