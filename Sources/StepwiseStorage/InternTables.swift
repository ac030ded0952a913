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
    /// The last value per column: consecutive events mostly repeat site, name, region and
    /// source, and comparing with the last one is cheaper than hashing.
    private var lastByColumn = [(String, UInt32)](repeating: ("", 0), count: Column.allCases.count)

    enum Column: Int, CaseIterable { case site, name, path, region, source, medium, campaign, userAgent, other }
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
        lastByColumn = [(String, UInt32)](repeating: ("", 0), count: Column.allCases.count)
        strings.removeAll()
        visitors.removeAll()
        users.removeAll()
    }

    mutating func string(_ text: String, column: Column = .other, _ db: Database) throws -> UInt32 {
        let last = lastByColumn[column.rawValue]
        if last.1 != 0, last.0 == text { return last.1 }
        let id = try lookup(text, db)
        lastByColumn[column.rawValue] = (text, id)
        return id
    }

    private mutating func lookup(_ text: String, _ db: Database) throws -> UInt32 {
        if let id = strings[text] { return id }
        let select = try db.cachedStatement(sql: "SELECT id FROM strings WHERE value = ?")
        let id: UInt32
        if let existing = try UInt32.fetchOne(select, arguments: [text]) {
            id = existing
        } else {
            try db.cachedStatement(sql: "INSERT INTO strings (value) VALUES (?)").execute(arguments: [text])
            id = UInt32(db.lastInsertedRowID)
            newStrings.append((id, text))
        }
        if strings.count >= Self.cacheLimit { strings.removeAll(keepingCapacity: true) }
        strings[text] = id
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

    /// The visitor's id, creating it, and linking it to `user` when it has no user yet
    /// (the first link wins).
    mutating func visitor(site: UInt32, key: String, user: UInt32, _ db: Database) throws -> UInt32 {
        let cacheKey = VisitorKey(site: site, key: key)
        var entry = visitors[cacheKey]
        if entry == nil {
            let select = try db.cachedStatement(sql: "SELECT id, user_id FROM visitors WHERE site = ? AND key = ?")
            if let row = try Row.fetchOne(select, arguments: [site, key]) {
                entry = (row[0], row[1] ?? 0)
            } else {
                try db.cachedStatement(sql: "INSERT INTO visitors (site, key, user_id) VALUES (?, ?, NULL)").execute(arguments: [site, key])
                let id = UInt32(db.lastInsertedRowID)
                identityChange.newVisitors.append((id, site))
                entry = (id, 0)
            }
        }
        if user != 0, entry!.user == 0 {
            try db.cachedStatement(sql: "UPDATE visitors SET user_id = ? WHERE id = ?").execute(arguments: [user, entry!.id])
            identityChange.links.append((entry!.id, user))
            entry!.user = user
        }
        if visitors.count >= Self.cacheLimit { visitors.removeAll(keepingCapacity: true) }
        visitors[cacheKey] = entry!
        return entry!.id
    }
}
