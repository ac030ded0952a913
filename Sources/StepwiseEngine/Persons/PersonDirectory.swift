/// Who a person is outside the engine: the ids a CRM or an ad platform knows them by.
/// The engine holds integer keys only; storage answers this for the persons a report lists.
public protocol PersonDirectory: Sendable {
    func identities(of keys: [UInt32]) throws -> [UInt32: PersonIdentity]
}

public struct PersonIdentity: Sendable, Equatable {
    /// The user id once identified, else the visitor id.
    public var person: String
    public var user: String?
    /// Ad click ids seen on any of the person's visits, by kind (`gclid`, `fbclid`, ...); the latest wins.
    public var clickIds: [String: String]
    /// Every click id with the time it was seen, oldest first: ad exports need the click
    /// that preceded each conversion, not merely the latest.
    public var clicks: [SeenClick]

    public init(person: String, user: String?, clickIds: [String: String], clicks: [SeenClick] = []) {
        self.person = person
        self.user = user
        self.clickIds = clickIds
        self.clicks = clicks
    }

    /// The latest click id of `kind` seen at or before `time` and no more than `maxAge` before it.
    public func click(_ kind: String, before time: Int64, maxAge: Int64) -> SeenClick? {
        clicks.last { $0.kind == kind && $0.time <= time && time - $0.time <= maxAge }
    }
}

public struct SeenClick: Sendable, Equatable {
    public var kind: String
    public var value: String
    public var time: Int64
    /// The browser that landed with the click (Meta requires one for website events).
    public var userAgent: String?

    public init(kind: String, value: String, time: Int64, userAgent: String? = nil) {
        self.kind = kind
        self.value = value
        self.time = time
        self.userAgent = userAgent
    }
}
