import StepwiseCore
import StepwiseStorage
import Synchronization

/// The sites the server accepts events for, cached from the store. With `open` (the demo's
/// default, and `--open-sites`) any site is accepted; otherwise only registered ones, so a
/// typo in a site name is an error at the sender, not a silent new site.
public final class SiteRegistry: Sendable {
    let store: EventStore
    public let open: Bool
    private let sites: Mutex<[String: SiteSettings]>
    /// Every registered origin, rebuilt when a site is added or removed: CORS reads it per request.
    private let allowedOrigins: Mutex<Set<String>>

    public init(store: EventStore, open: Bool) {
        self.store = store
        self.open = open
        // A store that cannot be read fails every request after this anyway; start empty.
        let loaded = (try? store.sites()) ?? []
        sites = Mutex(Dictionary(uniqueKeysWithValues: loaded.map { ($0.name, $0) }))
        allowedOrigins = Mutex(Set(loaded.flatMap(\.origins)))
    }

    public var all: [SiteSettings] { sites.withLock { $0.values.sorted { $0.name < $1.name } } }
    public func site(_ name: String) -> SiteSettings? { sites.withLock { $0[name] } }
    public func accepts(_ name: String) -> Bool { open || site(name) != nil }

    /// All registered origins: browsers on them may send events (CORS).
    public var origins: Set<String> { allowedOrigins.withLock { $0 } }

    public func site(segmentWriteKey key: String) -> SiteSettings? {
        sites.withLock { $0.values.first { $0.segmentWriteKey.map { constantTimeEqual($0, key) } ?? false } }
    }

    public func site(ga4MeasurementID id: String) -> SiteSettings? {
        sites.withLock { $0.values.first { $0.ga4MeasurementID == id } }
    }

    private func refreshOrigins() {
        let origins = sites.withLock { Set($0.values.flatMap(\.origins)) }
        allowedOrigins.withLock { $0 = origins }
    }

    /// Registers a site; false when one of that name exists.
    public func add(_ site: SiteSettings) throws -> Bool {
        guard try store.addSite(site) else { return false }
        sites.withLock { $0[site.name] = site }
        refreshOrigins()
        return true
    }

    /// Makes the registered sites equal `shared` (a scaled-out node's sync): new and changed
    /// ones registered, the others removed. Returns the names that changed.
    @discardableResult
    public func adopt(_ shared: [SiteSettings]) throws -> [String] {
        let wanted = Dictionary(shared.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var changed: [String] = []
        for (name, site) in wanted.sorted(by: { $0.key < $1.key }) where self.site(name) != site {
            if self.site(name) != nil { _ = try remove(name) }
            _ = try add(site)
            changed.append(name)
        }
        for site in all where wanted[site.name] == nil {
            _ = try remove(site.name)
            changed.append(site.name)
        }
        return changed
    }

    public func remove(_ name: String) throws -> Bool {
        let removed = try store.removeSite(name)
        sites.withLock { _ = $0.removeValue(forKey: name) }
        refreshOrigins()
        return removed
    }
}
