import Foundation
import GRDB
import StepwiseCore
import StepwiseEngine

/// What tracking health keeps: ingest outcomes per day, annotations, and the anomalies it
/// has alerted on.
extension EventStore {
    /// What a health query needs from storage: the annotations of its days (and the day before),
    /// and the ingest outcomes.
    public func attachHealthFacts(_ query: inout HealthQuery) throws {
        let from = query.factsFrom
        query.annotations = try annotations(site: query.site, from: from, to: query.now + 1)
        query.ingest = try ingestTallies(site: query.site, fromDay: Timestamp.formatDay(from))
    }

    // MARK: Ingest outcomes

    /// Counts rejected events (by site and code) without a write of their own: they are
    /// written with the next commit, or by `flushRejections`.
    public func noteRejections(_ rejections: [(site: String, code: String)], at now: Int64 = Int64(Date().timeIntervalSince1970 * 1000)) {
        guard !rejections.isEmpty else { return }
        let day = Timestamp.formatDay(now)
        pendingRejections.withLock { pending in
            for rejection in rejections { pending[IngestTallyKey(site: rejection.site, day: day, code: rejection.code), default: 0] += 1 }
        }
    }

    /// Takes the noted rejections away, to be stored elsewhere (ClickHouse, when scaled out);
    /// `returnRejections` puts them back when that fails.
    public func takeRejections() -> [IngestCount] {
        pendingRejections.withLock { pending in
            defer { pending.removeAll() }
            return pending.map { IngestCount(site: $0.key.site, day: $0.key.day, code: $0.key.code, count: $0.value) }
        }
    }

    public func returnRejections(_ counts: [IngestCount]) {
        pendingRejections.withLock { pending in
            for count in counts { pending[IngestTallyKey(site: count.site, day: count.day, code: count.code), default: 0] += count.count }
        }
    }

    /// Writes the noted rejections now.
    public func flushRejections() throws {
        let pending = pendingRejections.withLock { pending in
            defer { pending.removeAll() }
            return pending
        }
        guard !pending.isEmpty else { return }
        do {
            try pool.write { db in try Self.addTallies(pending, db) }
        } catch {
            pendingRejections.withLock { current in for (key, count) in pending { current[key, default: 0] += count } }
            throw error
        }
    }

    static func addTallies(_ tallies: [IngestTallyKey: Int], _ db: Database) throws {
        for (key, count) in tallies {
            try db.execute(sql: """
                INSERT INTO ingest_tallies (site, day, code, count) VALUES (?, ?, ?, ?)
                ON CONFLICT (site, day, code) DO UPDATE SET count = count + excluded.count
                """, arguments: [key.site, key.day, key.code, count])
        }
    }

    /// A site's ingest outcomes per UTC day since `fromDay` (YYYY-MM-DD), noted ones included.
    public func ingestTallies(site: String, fromDay: String) throws -> [IngestTally] {
        try flushRejections()
        return try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT day, code, count FROM ingest_tallies WHERE site = ? AND day >= ? ORDER BY day, code",
                             arguments: [site, fromDay]).map { IngestTally(day: $0[0], code: $0[1], count: $0[2]) }
        }
    }

    // MARK: Annotations

    /// Stores an annotation and returns it with its id.
    public func addAnnotation(_ annotation: Annotation, now: Int64 = Int64(Date().timeIntervalSince1970 * 1000)) throws -> Annotation {
        try pool.write { db in
            try db.execute(sql: "INSERT INTO annotations (site, at, kind, text, created) VALUES (?, ?, ?, ?, ?)",
                           arguments: [annotation.site, annotation.at, annotation.kind, annotation.text, now])
            var stored = annotation
            stored.id = db.lastInsertedRowID
            return stored
        }
    }

    /// A site's annotations in [from, to), oldest first.
    public func annotations(site: String, from: Int64? = nil, to: Int64? = nil) throws -> [Annotation] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, site, at, kind, text FROM annotations
                WHERE site = ? AND (? IS NULL OR at >= ?) AND (? IS NULL OR at < ?) ORDER BY at, id
                """, arguments: [site, from, from, to, to]).map {
                Annotation(id: $0[0], site: $0[1], at: $0[2], kind: $0[3], text: $0[4])
            }
        }
    }

    // MARK: Alert state

    /// A change in a site's open anomalies: what opened and what closed since the last check.
    public struct HealthAlertChange: Sendable, Equatable {
        public var opened: [String] = []
        public var closed: [String] = []
    }

    /// Makes the stored open anomalies of a site equal `open` (key → summary JSON) in one
    /// transaction and, with a webhook, queues a delivery for each opening and closing in
    /// that same transaction: an anomaly that stays open alerts once, even across restarts.
    public func syncHealthAlerts(
        site: String, open: [String: String], webhook: String?, now: Int64,
        body: (_ key: String, _ state: String, _ summary: String, _ id: String) -> String
    ) throws -> HealthAlertChange {
        try pool.write { db in
            var change = HealthAlertChange()
            let stored = try Row.fetchAll(db, sql: "SELECT key, summary FROM health_alerts WHERE site = ? AND closed IS NULL", arguments: [site])
            let known = Dictionary(stored.map { ($0[0] as String, $0[1] as String) }, uniquingKeysWith: { a, _ in a })
            func queue(_ key: String, _ state: String, _ summary: String) throws {
                guard let webhook else { return }
                let id = UUID().uuidString.lowercased()
                try db.execute(sql: """
                    INSERT INTO webhook_deliveries (id, site, audience, person, url, body, created, next_attempt)
                    VALUES (?, ?, '$health', ?, ?, ?, ?, ?)
                    """, arguments: [id, site, key, webhook, body(key, state, summary, id), now, now])
            }
            for (key, summary) in open.sorted(by: { $0.key < $1.key }) where known[key] == nil {
                try db.execute(sql: "INSERT OR REPLACE INTO health_alerts (site, key, opened, closed, summary) VALUES (?, ?, ?, NULL, ?)",
                               arguments: [site, key, now, summary])
                try queue(key, "opened", summary)
                change.opened.append(key)
            }
            for (key, summary) in known.sorted(by: { $0.key < $1.key }) where open[key] == nil {
                try db.execute(sql: "UPDATE health_alerts SET closed = ? WHERE site = ? AND key = ?", arguments: [now, site, key])
                try queue(key, "closed", summary)
                change.closed.append(key)
            }
            return change
        }
    }
}
