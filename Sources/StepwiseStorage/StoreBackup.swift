import Foundation
import GRDB

/// Online backups and restores of the store, through SQLite's backup API: a consistent copy
/// of the whole database taken while the server keeps writing (WAL readers do not block it).
public enum StoreBackup {
    /// Copies the database at `source` to a new file at `destination` and checks the copy.
    /// Returns the number of events in it.
    public static func backup(database source: String, to destination: String) throws -> Int {
        guard FileManager.default.fileExists(atPath: source) else { throw StoreError("no database at \(source)") }
        guard !FileManager.default.fileExists(atPath: destination) else { throw StoreError("\(destination) exists; a backup never overwrites a file") }
        var configuration = Configuration()
        configuration.readonly = true
        do {
            let reader = try DatabasePool(path: source, configuration: configuration)
            let copy = try DatabaseQueue(path: destination)
            try reader.backup(to: copy)
            try copy.close()
        } catch {
            try? FileManager.default.removeItem(atPath: destination)
            throw StoreError("backup of \(source) failed: \(error)")
        }
        return try verify(destination)
    }

    /// Replaces the database at `destination` with the backup at `source` (refusing to
    /// overwrite an existing database unless `replace`). Stop the server first.
    public static func restore(backup source: String, to destination: String, replace: Bool) throws -> Int {
        _ = try verify(source)
        if FileManager.default.fileExists(atPath: destination), !replace {
            throw StoreError("\(destination) exists; pass --force to replace it with the backup")
        }
        do {
            let backup = try DatabaseQueue(path: source, configuration: { var c = Configuration(); c.readonly = true; return c }())
            let target = try DatabaseQueue(path: destination)
            try backup.backup(to: target)
            try target.close()
        } catch {
            throw StoreError("restore into \(destination) failed: \(error)")
        }
        return try verify(destination)
    }

    /// A Stepwise database that passes SQLite's integrity check; returns its event count.
    public static func verify(_ path: String) throws -> Int {
        guard FileManager.default.fileExists(atPath: path) else { throw StoreError("no file at \(path)") }
        do {
            let queue = try DatabaseQueue(path: path, configuration: { var c = Configuration(); c.readonly = true; return c }())
            return try queue.read { db in
                let check = try String.fetchOne(db, sql: "PRAGMA integrity_check")
                guard check == "ok" else { throw StoreError("\(path) fails SQLite's integrity check: \(check ?? "no answer")") }
                guard try db.tableExists("events"), try db.tableExists("grdb_migrations") else {
                    throw StoreError("\(path) is not a Stepwise database")
                }
                return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events") ?? 0
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError("\(path) cannot be read as a Stepwise database: \(error)")
        }
    }
}
