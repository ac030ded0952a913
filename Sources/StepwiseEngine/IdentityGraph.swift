/// Who each visitor is: its site and, once identified, its user.
///
/// A person is the user when known, else the visitor. The first user a visitor is linked
/// to wins: re-linking a shared device would silently move history between people.
public struct IdentityGraph: Sendable {
    /// Indexed by visitor id (dense, from 1); 0 = unknown.
    public private(set) var visitorSite: [UInt32] = [0]
    /// Indexed by visitor id; 0 = not identified.
    public private(set) var visitorUser: [UInt32] = [0]
    /// Indexed by user id (dense, from 1).
    public private(set) var userSite: [UInt32] = [0]

    public init() {}

    public mutating func addVisitor(_ id: UInt32, site: UInt32, user: UInt32 = 0) {
        let index = Int(id)
        if index >= visitorSite.count {
            visitorSite.append(contentsOf: repeatElement(0, count: index - visitorSite.count + 1))
            visitorUser.append(contentsOf: repeatElement(0, count: index - visitorUser.count + 1))
        }
        visitorSite[index] = site
        if user != 0 { visitorUser[index] = user }
    }

    public mutating func addUser(_ id: UInt32, site: UInt32) {
        let index = Int(id)
        if index >= userSite.count { userSite.append(contentsOf: repeatElement(0, count: index - userSite.count + 1)) }
        userSite[index] = site
    }

    /// Links a visitor to a user; returns false when the visitor already belongs to another.
    @discardableResult
    public mutating func link(visitor: UInt32, user: UInt32) -> Bool {
        let current = visitorUser[Int(visitor)]
        if current == user { return true }
        if current != 0 { return false }
        visitorUser[Int(visitor)] = user
        return true
    }

    /// Person keys share one space: even for an anonymous visitor, odd for a user.
    @inline(__always) public func personKey(ofVisitor visitor: UInt32) -> UInt32 {
        let user = visitorUser[Int(visitor)]
        return user != 0 ? user &* 2 &+ 1 : visitor &* 2
    }

    @inline(__always) public func site(ofPersonKey key: UInt32) -> UInt32 {
        key & 1 == 1 ? userSite[Int(key >> 1)] : visitorSite[Int(key >> 1)]
    }

    public var maxPersonKey: Int { max(visitorSite.count * 2, userSite.count * 2 + 1) }
}
