import GRDB
import StepwiseCore

extension EventStore {
    /// Stores a spend file in one transaction. A row for a day, channel and campaign already
    /// stored replaces it, so re-importing a corrected export never counts a cost twice.
    /// Returns how many rows were new.
    public func importSpend(site: String, _ rows: [AdSpend]) throws -> (added: Int, replaced: Int) {
        try pool.write { db in
            if let currency = rows.first?.currency,
               let stored = try String.fetchOne(db, sql: "SELECT currency FROM ad_spend WHERE site = ? AND currency <> ? LIMIT 1",
                                                arguments: [site, currency]) {
                throw StoreError("currency: the site's spend is in \(stored); this file is in \(currency)")
            }
            var added = 0, replaced = 0
            for row in rows {
                let exists = try Bool.fetchOne(
                    db, sql: "SELECT 1 FROM ad_spend WHERE site = ? AND day = ? AND channel = ? AND campaign = ?",
                    arguments: [site, row.date, row.channel, row.campaign]) ?? false
                try db.execute(
                    sql: "INSERT OR REPLACE INTO ad_spend (site, day, channel, campaign, cost, currency) VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: [site, row.date, row.channel, row.campaign, row.cost, row.currency])
                if exists { replaced += 1 } else { added += 1 }
            }
            return (added, replaced)
        }
    }

    /// Every spend row of a site, by day.
    public func spend(site: String) throws -> [AdSpend] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT day, channel, campaign, cost, currency FROM ad_spend WHERE site = ? ORDER BY day, channel, campaign",
                             arguments: [site]).map { row in
                AdSpend(date: row[0], channel: row[1], campaign: row[2], cost: row[3], currency: row[4])
            }
        }
    }
}
