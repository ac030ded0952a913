/// GA4's default channel grouping, the segmentation analysts already know.
public enum Channel: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case direct, organicSearch, paidSearch, organicSocial, paidSocial, email, referral, display, affiliates, unassigned

    public var description: String {
        switch self {
        case .direct: "Direct"
        case .organicSearch: "Organic Search"
        case .paidSearch: "Paid Search"
        case .organicSocial: "Organic Social"
        case .paidSocial: "Paid Social"
        case .email: "Email"
        case .referral: "Referral"
        case .display: "Display"
        case .affiliates: "Affiliates"
        case .unassigned: "Unassigned"
        }
    }

    public init?(name: String) {
        guard let match = Channel.allCases.first(where: { $0.description.lowercased() == name.lowercased() }) else { return nil }
        self = match
    }
}

public enum DeviceType: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case unknown, desktop, mobile, tablet

    public var description: String {
        switch self {
        case .unknown: "unknown"
        case .desktop: "desktop"
        case .mobile: "mobile"
        case .tablet: "tablet"
        }
    }
}

public enum Browser: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case unknown, chrome, safari, firefox, edge, opera, samsungInternet, internetExplorer, other

    public var description: String {
        switch self {
        case .unknown: "unknown"
        case .chrome: "Chrome"
        case .safari: "Safari"
        case .firefox: "Firefox"
        case .edge: "Edge"
        case .opera: "Opera"
        case .samsungInternet: "Samsung Internet"
        case .internetExplorer: "Internet Explorer"
        case .other: "Other"
        }
    }
}

public enum OperatingSystem: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case unknown, windows, macOS, iOS, android, linux, chromeOS, other

    public var description: String {
        switch self {
        case .unknown: "unknown"
        case .windows: "Windows"
        case .macOS: "macOS"
        case .iOS: "iOS"
        case .android: "Android"
        case .linux: "Linux"
        case .chromeOS: "Chrome OS"
        case .other: "Other"
        }
    }
}

/// Why a visitor was judged a bot. Bot events are kept, and excluded from reports by default.
public enum BotReason: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case none = 0, userAgent, webdriver, inhumanSpeed, dataCentre

    public var description: String {
        switch self {
        case .none: "human"
        case .userAgent: "user_agent"
        case .webdriver: "webdriver"
        case .inhumanSpeed: "inhuman_speed"
        case .dataCentre: "data_centre"
        }
    }
}

/// Ad-platform click identifiers read from a landing URL.
public enum ClickIDKind: String, Sendable, CaseIterable {
    case gclid, gbraid, wbraid, fbclid, msclkid
}

/// One click id of a landing URL.
public struct ClickID: Sendable, Equatable {
    public var kind: ClickIDKind
    public var value: String
}
