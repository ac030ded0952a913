import StepwiseCore
import StepwisePlan

/// A report filter `dimension=value` (SPEC §4): `channel=Paid Search`, `device=mobile`,
/// `landing_page=/product/*`, `visitor_type=new`, `prop.plan=pro`.
///
/// Channel, landing page and visitor type belong to the session (its first event; a
/// person's first session is `new`); the others to each event. A report counts only the
/// events a segment keeps.
public struct Segment: Sendable, Equatable, CustomStringConvertible {
    public enum Dimension: Sendable, Equatable, Hashable {
        case channel, device, browser, os, region, landingPage, visitorType
        case prop(String)

        /// `channel`, `landing_page`, `prop.plan`, …; nil for an unknown name.
        public init?(name: String) {
            switch name {
            case "channel": self = .channel
            case "device": self = .device
            case "browser": self = .browser
            case "os": self = .os
            case "region": self = .region
            case "landing_page": self = .landingPage
            case "visitor_type": self = .visitorType
            default:
                guard name.hasPrefix("prop."), name.count > 5 else { return nil }
                self = .prop(String(name.dropFirst(5)))
            }
        }

        public var name: String {
            switch self {
            case .channel: "channel"
            case .device: "device"
            case .browser: "browser"
            case .os: "os"
            case .region: "region"
            case .landingPage: "landing_page"
            case .visitorType: "visitor_type"
            case .prop(let key): "prop.\(key)"
            }
        }
    }

    public struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
    }

    public static let dimensionNames = ["channel", "device", "browser", "os", "region", "landing_page", "visitor_type", "prop.KEY"]

    public var dimension: Dimension
    public var value: String
    /// The parsed value for the enumerated dimensions (channel, device, browser, OS raw value).
    let code: UInt8?
    let glob: Glob?

    public var description: String { "\(dimension.name)=\(value)" }

    /// Parses `dimension=value`; the error says which part is wrong and what is accepted.
    public init(parsing text: String) throws(Invalid) {
        guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
            throw Invalid(description: "segment '\(text)' must be dimension=value; dimensions: \(Self.dimensionNames.joined(separator: ", "))")
        }
        let name = String(text[..<equals])
        let value = String(text[text.index(after: equals)...])
        guard !value.isEmpty else { throw Invalid(description: "segment '\(text)' has no value after '='") }
        self.value = value
        var code: UInt8?
        var glob: Glob?
        func pick<T: CaseIterable & CustomStringConvertible & RawRepresentable>(_ type: T.Type, _ what: String) throws(Invalid) -> UInt8
        where T.RawValue == UInt8 {
            guard let match = T.allCases.first(where: { $0.description.lowercased() == value.lowercased() }) else {
                throw Invalid(description: "segment \(what)=\(value): unknown \(what); one of \(T.allCases.map(\.description).joined(separator: ", "))")
            }
            return match.rawValue
        }
        switch name {
        case "channel": dimension = .channel; code = try pick(Channel.self, "channel")
        case "device": dimension = .device; code = try pick(DeviceType.self, "device")
        case "browser": dimension = .browser; code = try pick(Browser.self, "browser")
        case "os": dimension = .os; code = try pick(OperatingSystem.self, "os")
        case "region": dimension = .region
        case "landing_page":
            dimension = .landingPage
            do { glob = try Glob(value) } catch { throw Invalid(description: "segment landing_page=\(value): \(error.reason)") }
        case "visitor_type":
            guard value == "new" || value == "returning" else {
                throw Invalid(description: "segment visitor_type=\(value): must be new or returning")
            }
            dimension = .visitorType
        default:
            guard name.hasPrefix("prop."), name.count > 5 else {
                throw Invalid(description: "segment '\(text)': unknown dimension '\(name)'; dimensions: \(Self.dimensionNames.joined(separator: ", "))")
            }
            dimension = .prop(String(name.dropFirst(5)))
        }
        self.code = code
        self.glob = glob
    }

    public static func == (a: Segment, b: Segment) -> Bool { a.description == b.description }
}

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
