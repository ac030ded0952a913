import Synchronization
import StepwiseCore
import StepwisePlan

/// The engine's current table, kept up to date as events are committed.
///
/// Writers append committed rows (cheap); readers call `snapshot()`, which folds pending
/// rows and identity links into a new sorted table first, so every acknowledged event is
/// visible to the next report. The fold runs outside the state lock, so a commit never waits
/// for a report's rebuild; rebuilds take turns on a lock of their own.
public final class LiveEventTable: Sendable {
    private struct State {
        var table: EventTable = .empty
        var pending = EventRows()
        var identities = IdentityGraph()
        var strings: [String] = [""]
        var dirty = false
        var volumes = VolumeIndex()

        /// The table with every applied row folded in.
        mutating func refreshed(_ builder: EventTableBuilder) -> EventTable {
            if dirty {
                table = builder.build(previous: table, appended: pending, identities: identities, strings: strings)
                pending.removeAll()
                dirty = false
            } else if table.strings.count != strings.count {
                table.strings = strings
            }
            return table
        }
    }

    private let state = Mutex(State())
    /// What a snapshot finds: a table already current, or the inputs of a fold.
    private enum Work { case ready(EventTable), fold(EventTable, EventRows, IdentityGraph, [String]) }
    /// Held for a whole rebuild (and by whatever replaces the table), never by `apply`.
    private let rebuilding = Mutex(())
    private let builder: EventTableBuilder

    public init(builder: EventTableBuilder = EventTableBuilder()) {
        self.builder = builder
    }

    /// Adds strings (id → text) the store created; ids are dense from 1.
    public func addStrings(_ entries: [(UInt32, String)]) {
        guard !entries.isEmpty else { return }
        state.withLock { state in
            for (id, text) in entries {
                let index = Int(id)
                if index >= state.strings.count {
                    state.strings.append(contentsOf: repeatElement("", count: index - state.strings.count + 1))
                }
                state.strings[index] = text
            }
        }
    }

    /// Applies one committed batch: new visitors and users, identity links, and rows.
    public func apply(_ change: IdentityChange, rows: EventRows) {
        state.withLock { state in
            for user in change.newUsers { state.identities.addUser(user.id, site: user.site) }
            for visitor in change.newVisitors { state.identities.addVisitor(visitor.id, site: visitor.site) }
            for link in change.links where state.identities.link(visitor: link.visitor, user: link.user) {
                state.dirty = true
            }
            if !rows.isEmpty {
                state.pending.append(contentsOf: rows)
                state.dirty = true
                let sites = state.identities.visitorSite
                state.volumes.fold(rows, siteOf: { Int($0) < sites.count ? sites[Int($0)] : 0 }, strings: state.strings)
            }
        }
    }

    /// The current table, including every row applied before the call.
    public func snapshot() -> EventTable {
        rebuilding.withLock { _ in
            // Take the fold's inputs under the state lock (copies share storage), build outside it.
            let work = state.withLock { state -> Work in
                guard state.dirty else {
                    if state.table.strings.count != state.strings.count { state.table.strings = state.strings }
                    return .ready(state.table)
                }
                defer { state.pending.removeAll(); state.dirty = false }
                return .fold(state.table, state.pending, state.identities, state.strings)
            }
            switch work {
            case .ready(let table):
                return table
            case .fold(let previous, let pending, let identities, let strings):
                let built = builder.build(previous: previous, appended: pending, identities: identities, strings: strings)
                // Rows applied meanwhile stay pending (and dirty) for the next snapshot.
                state.withLock { $0.table = built }
                return built
            }
        }
    }

    public func volumes() -> VolumeIndex {
        state.withLock { $0.volumes }
    }

    /// Counts a site's plan definitions from now on, and over every event already applied
    /// when the set changed (a new plan, or the site's first events).
    public func watch(site: String, definitions: [(name: String, when: EventMatcher)]) {
        // Rare (a plan change): rebuilt under the state lock, so no applied row escapes the fold.
        rebuilding.withLock { _ in state.withLock { state in
            let table = state.refreshed(builder)
            guard let id = table.siteID(site) else { return }
            if state.volumes.watch(site: id, definitions: definitions) {
                state.volumes.fold(table: table, definitionsOf: id)
            }
        } }
    }

    func resetState(strings: [String], identities: IdentityGraph, rows: EventRows) {
        rebuilding.withLock { _ in state.withLock { state in
            state = State(table: .empty, pending: rows, identities: identities, strings: strings, dirty: true)
            let sites = identities.visitorSite
            state.volumes.fold(rows, siteOf: { Int($0) < sites.count ? sites[Int($0)] : 0 }, strings: strings)
        } }
    }
}

/// Identity facts a commit created, in the order they must be applied.
public struct IdentityChange: Sendable {
    public struct Visitor: Sendable { public var id: UInt32; public var site: UInt32; public init(id: UInt32, site: UInt32) { self.id = id; self.site = site } }
    public struct User: Sendable { public var id: UInt32; public var site: UInt32; public init(id: UInt32, site: UInt32) { self.id = id; self.site = site } }
    public struct Link: Sendable { public var visitor: UInt32; public var user: UInt32; public init(visitor: UInt32, user: UInt32) { self.visitor = visitor; self.user = user } }

    public var newVisitors: [Visitor] = []
    public var newUsers: [User] = []
    public var links: [Link] = []

    public init() {}
    public var isEmpty: Bool { newVisitors.isEmpty && newUsers.isEmpty && links.isEmpty }
}

extension LiveEventTable {
    /// Replaces everything with a freshly loaded state (start-up) and builds the table now,
    /// so the first report does not pay for it.
    public func reset(strings: [String], identities: IdentityGraph, rows: EventRows) {
        resetState(strings: strings, identities: identities, rows: rows)
        _ = snapshot()
    }
}
