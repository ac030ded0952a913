import StepwiseCore

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
    public let code: UInt8?
    public let glob: Glob?

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

