import Crypto
import Foundation
import GRDB
import StepwiseCore

/// What an erasure or a retention run deleted. The log keeps the counts and a SHA-256 of the
/// person's id, so it proves the erasure without keeping who was erased.
public struct ErasureRecord: Sendable, Equatable, Codable {
    public var id: Int64
    public var site: String?
    /// `person` (an erasure request) or `retention` (events past the retention period).
    public var kind: String
    public var personSha256: String?
    public var visitors: Int
    public var users: Int
    public var events: Int
    public var at: String
}

extension EventStore {
    /// Erases a person: every event of theirs (all their visitor ids once identified, and the
    /// events sent with their user id), their visitor and user rows, their audience memberships
    /// and webhook deliveries, and the URLs, referrers and props only their events used. Deleted
    /// pages are zeroed (`secure_delete`) and the WAL is truncated, then the engine is rebuilt.
    /// `person` is a user id or a visitor id; nil when the site knows no such person.
    public func erase(site: String, person: String, now: Date = Date()) async throws -> ErasureRecord? {
        try await deleting { db in try Self.erase(site: site, person: person, at: now, db) }
    }

    /// Deletes every event older than `cutoff` (Unix ms) on every site, the visitors and users
    /// left without events, and the URLs, referrers and props no remaining event uses; logs the
    /// run and rebuilds the engine. Returns the log entry (nil when nothing was old enough).
    public func prune(before cutoff: Int64, now: Date = Date()) async throws -> ErasureRecord? {
        try await deleting { db in
            let events = try Self.deleteEvents(where: "ts < ?", [cutoff], db)
            guard events > 0 else { return nil }
            try db.execute(sql: "DELETE FROM visitors WHERE id NOT IN (SELECT visitor FROM events)")
            let visitors = db.changesCount
            try db.execute(sql: "DELETE FROM users WHERE id NOT IN (SELECT user_id FROM events WHERE user_id IS NOT NULL) AND id NOT IN (SELECT user_id FROM visitors WHERE user_id IS NOT NULL)")
            return try Self.log(site: nil, kind: "retention", person: nil, visitors: visitors, users: db.changesCount, events: events, at: now, db)
        }
    }

    /// Runs `delete` in one transaction on the writer, between commits, with deleted content
    /// zeroed; committed only when it returns a log entry. Then the WAL's copies of deleted pages
    /// go and the engine forgets the rows.
    private func deleting(_ delete: @escaping @Sendable (Database) throws -> ErasureRecord?) async throws -> ErasureRecord? {
        try await exclusively { [self] in
            let record = try pool.writeWithoutTransaction { db -> ErasureRecord? in
                try db.execute(sql: "PRAGMA secure_delete = ON")
                defer { try? db.execute(sql: "PRAGMA secure_delete = OFF") }
                var record: ErasureRecord?
                try db.inTransaction(.immediate) {
                    record = try delete(db)
                    return record == nil ? .rollback : .commit
                }
                return record
            }
            guard record != nil else { return nil }
            try pool.writeWithoutTransaction { db in _ = try Row.fetchAll(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
            if feedsEngine { try reloadEngine() }
            return record
        }
    }

    /// The erasure and retention log, newest first.
    public func erasures(site: String? = nil) throws -> [ErasureRecord] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, site, kind, person_sha256, visitors, users, events, at FROM erasures WHERE ? IS NULL OR site = ? OR site IS NULL ORDER BY id DESC
                """, arguments: [site, site]).map { row in
                ErasureRecord(id: row[0], site: row[1], kind: row[2], personSha256: row[3], visitors: row[4], users: row[5], events: row[6],
                              at: Timestamp.formatRFC3339(row[7]))
            }
        }
    }

    private static func erase(site: String, person: String, at now: Date, _ db: Database) throws -> ErasureRecord? {
        guard let siteID = try Int64.fetchOne(db, sql: "SELECT id FROM strings WHERE value = ?", arguments: [site]) else { return nil }
        // The person: a user with all their visitors, or a visitor (with their user, if identified).
        var users = Set(try Int64.fetchAll(db, sql: "SELECT id FROM users WHERE site = ? AND key = ?", arguments: [siteID, person]))
        let direct = try Row.fetchAll(db, sql: "SELECT id, user_id FROM visitors WHERE site = ? AND key = ?", arguments: [siteID, person])
        var visitors = Set(direct.map { $0[0] as Int64 })
        for row in direct { if let user = row[1] as Int64? { users.insert(user) } }
        if !users.isEmpty {
            let list = users.map(String.init).joined(separator: ",")
            visitors.formUnion(try Int64.fetchAll(db, sql: "SELECT id FROM visitors WHERE user_id IN (\(list))"))
        }
        guard !visitors.isEmpty || !users.isEmpty else { return nil }
        let visitorList = visitors.isEmpty ? "NULL" : visitors.map(String.init).joined(separator: ",")
        let userList = users.isEmpty ? "NULL" : users.map(String.init).joined(separator: ",")
        // Every id the person was known by, as audiences and webhooks name them.
        let keys = try String.fetchAll(db, sql: "SELECT key FROM visitors WHERE id IN (\(visitorList)) UNION SELECT key FROM users WHERE id IN (\(userList))")
        let events = try deleteEvents(where: "site = ? AND (visitor IN (\(visitorList)) OR user_id IN (\(userList)))", [siteID], db)
        try db.execute(sql: "DELETE FROM visitors WHERE id IN (\(visitorList))")
        try db.execute(sql: "DELETE FROM users WHERE id IN (\(userList))")
        for key in keys {
            try db.execute(sql: "DELETE FROM audience_members WHERE site = ? AND person = ?", arguments: [site, key])
            try db.execute(sql: "DELETE FROM webhook_deliveries WHERE site = ? AND person = ?", arguments: [site, key])
        }
        return try log(site: site, kind: "person", person: person, visitors: visitors.count, users: users.count, events: events, at: now, db)
    }

    /// Deletes the events matching `condition`, and the URL, referrer and props strings that only
    /// they used (one scan of the remaining events). Returns how many events went.
    private static func deleteEvents(where condition: String, _ arguments: StatementArguments, _ db: Database) throws -> Int {
        try db.execute(sql: "DROP TABLE IF EXISTS temp.erased_strings")
        try db.execute(sql: """
            CREATE TEMP TABLE erased_strings AS
                SELECT url AS id FROM events WHERE \(condition) AND url IS NOT NULL
                UNION SELECT referrer FROM events WHERE \(condition) AND referrer IS NOT NULL
                UNION SELECT props FROM events WHERE \(condition) AND props IS NOT NULL
            """, arguments: arguments + arguments + arguments)
        try db.execute(sql: "DELETE FROM events WHERE \(condition)", arguments: arguments)
        let events = db.changesCount
        try db.execute(sql: """
            DELETE FROM strings WHERE id IN (SELECT id FROM temp.erased_strings)
              AND id NOT IN (SELECT url FROM events WHERE url IN (SELECT id FROM temp.erased_strings)
                             UNION SELECT referrer FROM events WHERE referrer IN (SELECT id FROM temp.erased_strings)
                             UNION SELECT props FROM events WHERE props IN (SELECT id FROM temp.erased_strings))
            """)
        try db.execute(sql: "DROP TABLE temp.erased_strings")
        return events
    }

    /// Logs an erasure done in another store (ClickHouse, when scaled out), and forgets the
    /// person's audience memberships and webhook deliveries kept here.
    public func recordErasure(site: String, person: String, keys: [String], visitors: Int, users: Int, events: Int,
                              now: Date = Date()) async throws -> ErasureRecord {
        try await pool.write { db in
            for key in keys {
                try db.execute(sql: "DELETE FROM audience_members WHERE site = ? AND person = ?", arguments: [site, key])
                try db.execute(sql: "DELETE FROM webhook_deliveries WHERE site = ? AND person = ?", arguments: [site, key])
            }
            return try Self.log(site: site, kind: "person", person: person, visitors: visitors, users: users, events: events, at: now, db)
        }
    }

    /// Logs a retention run done in another store (ClickHouse, when scaled out).
    public func recordRetention(visitors: Int, users: Int, events: Int, now: Date = Date()) async throws -> ErasureRecord {
        try await pool.write { db in
            try Self.log(site: nil, kind: "retention", person: nil, visitors: visitors, users: users, events: events, at: now, db)
        }
    }

    private static func log(site: String?, kind: String, person: String?, visitors: Int, users: Int, events: Int, at now: Date,
                            _ db: Database) throws -> ErasureRecord {
        let hash = person.map { SHA256.hash(data: Data($0.utf8)).map { String(format: "%02x", $0) }.joined() }
        let at = Int64(now.timeIntervalSince1970 * 1000)
        try db.execute(sql: "INSERT INTO erasures (site, kind, person_sha256, visitors, users, events, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       arguments: [site, kind, hash, visitors, users, events, at])
        return ErasureRecord(id: db.lastInsertedRowID, site: site, kind: kind, personSha256: hash, visitors: visitors, users: users, events: events,
                             at: Timestamp.formatRFC3339(at))
    }
}
