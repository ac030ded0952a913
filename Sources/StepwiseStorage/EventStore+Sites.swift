import Foundation
import GRDB
import StepwiseCore

extension EventStore {
    /// Registers a site; false when one of that name already exists (nothing changes).
    public func addSite(_ site: SiteSettings, now: Int64 = Int64(Date().timeIntervalSince1970 * 1000)) throws -> Bool {
        try pool.write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM sites WHERE name = ?", arguments: [site.name]) == true { return false }
            let origins = String(decoding: try JSONEncoder().encode(site.origins), as: UTF8.self)
            try db.execute(sql: """
                INSERT INTO sites (name, timezone, origins, write_key, segment_write_key, ga4_measurement_id, ga4_api_secret, created)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [site.name, site.timezone, origins, site.writeKey, site.segmentWriteKey, site.ga4MeasurementID, site.ga4APISecret, now])
            return true
        }
    }

    /// Removes a site's registration (its events stay); false when there was none.
    public func removeSite(_ name: String) throws -> Bool {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM sites WHERE name = ?", arguments: [name])
            return db.changesCount > 0
        }
    }

    /// Every registered site, by name.
    public func sites() throws -> [SiteSettings] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM sites ORDER BY name").map { row in
                var site = SiteSettings(name: row["name"])
                site.timezone = row["timezone"]
                site.origins = (try? JSONDecoder().decode([String].self, from: Data((row["origins"] as String).utf8))) ?? []
                site.writeKey = row["write_key"]
                site.segmentWriteKey = row["segment_write_key"]
                site.ga4MeasurementID = row["ga4_measurement_id"]
                site.ga4APISecret = row["ga4_api_secret"]
                return site
            }
        }
    }
}
