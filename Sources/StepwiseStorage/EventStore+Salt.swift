import Foundation
import GRDB

extension EventStore {
    /// The salt of a UTC day (YYYY-MM-DD) for cookieless visitor ids, made on first use.
    /// Every other day's salt is deleted in the same transaction: once a day is over, its
    /// visitor ids can no longer be recomputed, so visitors cannot be linked across days.
    public func dailySalt(day: String) throws -> Data {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM daily_salt WHERE day <> ?", arguments: [day])
            if let salt = try Data.fetchOne(db, sql: "SELECT salt FROM daily_salt WHERE day = ?", arguments: [day]) { return salt }
            var generator = SystemRandomNumberGenerator()
            let salt = Data((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) })
            try db.execute(sql: "INSERT INTO daily_salt (day, salt) VALUES (?, ?)", arguments: [day, salt])
            return salt
        }
    }
}
