import Synchronization
import StepwiseCore

/// The engine's current table, kept up to date as events are committed.
///
/// Writers append committed rows (cheap); readers call `snapshot()`, which folds pending
/// rows and identity links into a new sorted table first, so every acknowledged event is
/// visible to the next report.
public final class LiveEventTable: Sendable {
    private struct State {
        var table: EventTable = .empty
        var pending = EventRows()
        var identities = IdentityGraph()
        var strings: [String] = [""]
        var dirty = false
    }

    private let state = Mutex(State())
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
            }
        }
    }

    /// The current table, including every row applied so far.
    public func snapshot() -> EventTable {
        state.withLock { state in
            if state.dirty {
                state.table = builder.build(previous: state.table, appended: state.pending, identities: state.identities, strings: state.strings)
                state.pending.removeAll()
                state.dirty = false
            } else if state.table.strings.count != state.strings.count {
                state.table.strings = state.strings
            }
            return state.table
        }
    }

    func resetState(strings: [String], identities: IdentityGraph, rows: EventRows) {
        state.withLock { state in
            state = State(table: .empty, pending: rows, identities: identities, strings: strings, dirty: true)
        }
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
