import GRDB
import GRDBSQLite
import StepwiseCore

/// Id lookups for strings, visitors and users inside a write transaction, with bounded
/// in-memory caches in front of SQLite's unique indexes.
///
/// Everything created in the current transaction is recorded so the engine can be told
/// after the commit; on rollback the caches are dropped, since their ids may be void.
struct InternTables {
    private var strings: [String: UInt32] = [:]
    /// URLs, referrers and props repeat far less: their own cache, so a stream of unique URLs
    /// cannot evict the names and paths every event needs.
    private var details: [String: UInt32] = [:]
    /// The last value per column: consecutive events mostly repeat site, name, region and
    /// source, and comparing with the last one is cheaper than hashing.
    private var lastByColumn = [(String, UInt32)](repeating: ("", 0), count: Column.allCases.count)

    enum Column: Int, CaseIterable { case site, name, path, region, source, medium, campaign, userAgent, url, referrer, props, other }
    private var visitors: [VisitorKey: (id: UInt32, user: UInt32)] = [:]
    private var users: [VisitorKey: UInt32] = [:]
    static let cacheLimit = 200_000

    struct VisitorKey: Hashable { var site: UInt32; var key: String }

    /// Created in the open transaction.
    var newStrings: [(UInt32, String)] = []
    var identityChange = IdentityChangeRecord()

    struct IdentityChangeRecord {
        var newVisitors: [(id: UInt32, site: UInt32)] = []
        var newUsers: [(id: UInt32, site: UInt32)] = []
        var links: [(visitor: UInt32, user: UInt32)] = []
    }

    mutating func beginTransaction() {
        newStrings.removeAll(keepingCapacity: true)
        identityChange = IdentityChangeRecord()
    }

    mutating func rollback() {
        lastVisitor = nil
        lastByColumn = [(String, UInt32)](repeating: ("", 0), count: Column.allCases.count)
        strings.removeAll()
        details.removeAll()
        visitors.removeAll()
        users.removeAll()
    }

    mutating func string(_ text: String, column: Column = .other, _ db: Database) throws -> UInt32 {
        let last = lastByColumn[column.rawValue]
        if last.1 != 0, last.0 == text { return last.1 }
        let id = column == .url || column == .referrer || column == .props
            ? try Self.lookup(text, in: &details, created: &newStrings, db) : try Self.lookup(text, in: &strings, created: &newStrings, db)
        lastByColumn[column.rawValue] = (text, id)
        return id
    }

    private static func lookup(
        _ text: String, in cache: inout [String: UInt32], created: inout [(UInt32, String)], _ db: Database
    ) throws -> UInt32 {
        if let id = cache[text] { return id }
        let select = try db.cachedStatement(sql: "SELECT id FROM strings WHERE value = ?")
        let id: UInt32
        if let existing = try UInt32.fetchOne(select, arguments: [text]) {
            id = existing
        } else {
            try db.cachedStatement(sql: "INSERT INTO strings (value) VALUES (?)").execute(arguments: [text])
            id = UInt32(db.lastInsertedRowID)
            created.append((id, text))
        }
        if cache.count >= Self.cacheLimit { cache.removeAll(keepingCapacity: true) }
        cache[text] = id
        return id
    }

    mutating func user(site: UInt32, key: String, _ db: Database) throws -> UInt32 {
        let cacheKey = VisitorKey(site: site, key: key)
        if let id = users[cacheKey] { return id }
        let select = try db.cachedStatement(sql: "SELECT id FROM users WHERE site = ? AND key = ?")
        let id: UInt32
        if let existing = try UInt32.fetchOne(select, arguments: [site, key]) {
            id = existing
        } else {
            try db.cachedStatement(sql: "INSERT INTO users (site, key) VALUES (?, ?)").execute(arguments: [site, key])
            id = UInt32(db.lastInsertedRowID)
            identityChange.newUsers.append((id, site))
        }
        if users.count >= Self.cacheLimit { users.removeAll(keepingCapacity: true) }
        users[cacheKey] = id
        return id
    }

    /// The last visitor resolved: events arrive in runs per visitor (a tracker's batch, an export).
    private var lastVisitor: (key: VisitorKey, id: UInt32, user: UInt32)?

    /// The visitor's id, creating it, and linking it to `user` when it has no user yet
    /// (the first link wins).
    mutating func visitor(site: UInt32, key: String, user: UInt32, _ db: Database) throws -> UInt32 {
        let cacheKey = VisitorKey(site: site, key: key)
        var entry: (id: UInt32, user: UInt32)
        if let last = lastVisitor, last.key.site == site, last.key.key == key {
            entry = (last.id, last.user)
        } else if let cached = visitors[cacheKey] {
            entry = cached
        } else {
            entry = try findOrCreateVisitor(site: site, key: key, db)
        }
        if user != 0, entry.user == 0 {
            let update = try db.cachedStatement(sql: "UPDATE visitors SET user_id = ? WHERE id = ?")
            try RawStatement.run(update, db) { statement in
                sqlite3_bind_int64(statement, 1, Int64(user))
                sqlite3_bind_int64(statement, 2, Int64(entry.id))
            }
            identityChange.links.append((entry.id, user))
            entry.user = user
            visitors[cacheKey] = entry
        } else if lastVisitor?.id != entry.id {
            if visitors.count >= Self.cacheLimit { visitors.removeAll(keepingCapacity: true) }
            visitors[cacheKey] = entry
        }
        lastVisitor = (cacheKey, entry.id, entry.user)
        return entry.id
    }

    private mutating func findOrCreateVisitor(site: UInt32, key: String, _ db: Database) throws -> (id: UInt32, user: UInt32) {
        let select = try db.cachedStatement(sql: "SELECT id, user_id FROM visitors WHERE site = ? AND key = ?")
        var found: (UInt32, UInt32)?
        try RawStatement.query(select, db, bind: { statement in
            sqlite3_bind_int64(statement, 1, Int64(site))
            RawStatement.bindText(statement, 2, key)
        }, row: { statement in
            found = (UInt32(truncatingIfNeeded: sqlite3_column_int64(statement, 0)), UInt32(truncatingIfNeeded: sqlite3_column_int64(statement, 1)))
        })
        if let found { return found }
        let insert = try db.cachedStatement(sql: "INSERT INTO visitors (site, key, user_id) VALUES (?, ?, NULL)")
        try RawStatement.run(insert, db) { statement in
            sqlite3_bind_int64(statement, 1, Int64(site))
            RawStatement.bindText(statement, 2, key)
        }
        let id = UInt32(db.lastInsertedRowID)
        identityChange.newVisitors.append((id, site))
        return (id, 0)
    }
}

/// Binding and stepping GRDB statements through the SQLite C API, for the writer's hot
/// paths where GRDB's generic arguments cost more than the statement itself.
enum RawStatement {
    static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    static func bindText(_ statement: OpaquePointer, _ index: Int32, _ text: String?) {
        guard let text else { return }
        var copy = text
        copy.withUTF8 { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                if let base = chars.baseAddress {
                    _ = sqlite3_bind_text(statement, index, base, Int32(chars.count), transient)
                } else {
                    _ = sqlite3_bind_text(statement, index, "", 0, transient)
                }
            }
        }
    }

    /// Runs a statement that returns no rows.
    static func run(_ prepared: Statement, _ db: Database, bind: (OpaquePointer) -> Void) throws {
        try query(prepared, db, bind: bind, row: { _ in })
    }

    /// Runs a statement, calling `row` for each result row.
    static func query(_ prepared: Statement, _ db: Database, bind: (OpaquePointer) -> Void, row: (OpaquePointer) -> Void) throws {
        let statement = prepared.sqliteStatement
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
        bind(statement)
        defer { sqlite3_reset(statement) }
        while true {
            let code = sqlite3_step(statement)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else {
                throw StoreError("statement failed: \(String(cString: sqlite3_errmsg(db.sqliteConnection)))")
            }
            row(statement)
        }
    }
}
