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

    public init(person: String, user: String?, clickIds: [String: String]) {
        self.person = person
        self.user = user
        self.clickIds = clickIds
    }
}
