import Synchronization

/// Parsed user agents by their text, bounded so hostile traffic cannot grow it forever.
public final class UserAgentCache: Sendable {
    private let entries = Mutex<[String: UserAgentInfo]>([:])
    public let limit: Int

    public init(limit: Int = 20_000) { self.limit = limit }

    public func info(_ userAgent: String?) -> UserAgentInfo {
        guard let userAgent else { return .unknown }
        if let cached = entries.withLock({ $0[userAgent] }) { return cached }
        let info = UserAgentInfo(userAgent: userAgent)
        entries.withLock { entries in
            if entries.count >= limit { entries.removeAll(keepingCapacity: true) }
            entries[userAgent] = info
        }
        return info
    }
}
