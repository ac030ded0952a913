import Foundation
import GRDB
import StepwiseCore
import StepwiseEngine

extension EventStore: PersonDirectory {
    /// Person keys are `visitor id × 2` for anonymous visitors and `user id × 2 + 1` for users
    /// (`IdentityGraph.personKey`).
    public func identities(of keys: [UInt32]) throws -> [UInt32: PersonIdentity] {
        guard !keys.isEmpty else { return [:] }
        return try pool.read { db in
            var result: [UInt32: PersonIdentity] = [:]
            for key in keys {
                let id = Int64(key >> 1)
                let visitors: [Int64]
                var identity: PersonIdentity
                if key & 1 == 1 {
                    let user = try String.fetchOne(db, sql: "SELECT key FROM users WHERE id = ?", arguments: [id]) ?? "u:\(id)"
                    identity = PersonIdentity(person: user, user: user, clickIds: [:])
                    visitors = try Int64.fetchAll(db, sql: "SELECT id FROM visitors WHERE user_id = ?", arguments: [id])
                } else {
                    let visitor = try String.fetchOne(db, sql: "SELECT key FROM visitors WHERE id = ?", arguments: [id]) ?? "v:\(id)"
                    identity = PersonIdentity(person: visitor, user: nil, clickIds: [:])
                    visitors = [id]
                }
                for visitor in visitors {
                    let rows = try String.fetchAll(
                        db, sql: "SELECT click_ids FROM events WHERE visitor = ? AND click_ids IS NOT NULL ORDER BY ts", arguments: [visitor])
                    for text in rows {
                        guard case .object(let object)? = try? JSONParser.parse(text) else { continue }
                        for (kind, value) in zip(object.keys, object.values) {
                            if case .string(let id) = value { identity.clickIds[kind] = id }
                        }
                    }
                }
                result[key] = identity
            }
            return result
        }
    }
}

/// A webhook call waiting, made, or given up on.
public struct WebhookDelivery: Sendable, Equatable, Codable {
    public var id: String
    public var site: String
    public var audience: String
    public var person: String
    public var url: String
    public var body: String
    public var created: Int64
    public var attempts: Int
    public var nextAttempt: Int64
    /// `pending`, `delivered` or `failed` (attempts exhausted).
    public var status: String
    public var lastStatus: Int?
    public var lastError: String?
    public var delivered: Int64?
}

extension EventStore {
    /// Makes the stored membership of an audience equal `members` in one transaction, and
    /// queues a webhook delivery for every person who entered (when `webhook` is set).
    /// `body` gives the JSON for a person and a delivery id. Returns the persons who entered.
    public func syncAudience(
        site: String, audience: String, members: [String], webhook: String?, now: Int64,
        body: (_ person: String, _ deliveryID: String) -> String
    ) throws -> [String] {
        try pool.write { db in
            let stored = Set(try String.fetchAll(
                db, sql: "SELECT person FROM audience_members WHERE site = ? AND audience = ?", arguments: [site, audience]))
            let current = Set(members)
            for person in stored.subtracting(current) {
                try db.execute(sql: "DELETE FROM audience_members WHERE site = ? AND audience = ? AND person = ?",
                               arguments: [site, audience, person])
            }
            let entered = members.filter { !stored.contains($0) }
            for person in entered {
                try db.execute(sql: "INSERT INTO audience_members (site, audience, person, entered) VALUES (?, ?, ?, ?)",
                               arguments: [site, audience, person, now])
                guard let webhook else { continue }
                let id = UUID().uuidString.lowercased()
                try db.execute(sql: """
                    INSERT INTO webhook_deliveries (id, site, audience, person, url, body, created, next_attempt)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [id, site, audience, person, webhook, body(person, id), now, now])
            }
            return entered
        }
    }

    /// Pending deliveries due at `now`, oldest first.
    public func dueDeliveries(now: Int64, limit: Int = 100) throws -> [WebhookDelivery] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM webhook_deliveries WHERE status = 'pending' AND next_attempt <= ?
                ORDER BY next_attempt, created LIMIT ?
                """, arguments: [now, limit]).map(Self.delivery)
        }
    }

    /// The delivery log of a site (optionally one audience), newest first.
    public func deliveries(site: String, audience: String? = nil, limit: Int = 100) throws -> [WebhookDelivery] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM webhook_deliveries WHERE site = ? AND (? IS NULL OR audience = ?)
                ORDER BY created DESC, id LIMIT ?
                """, arguments: [site, audience, audience, limit]).map(Self.delivery)
        }
    }

    /// Records one attempt: delivered, retried at `retryAt`, or failed for good when `retryAt` is nil.
    public func recordAttempt(_ id: String, at now: Int64, status: Int?, error: String?, delivered: Bool, retryAt: Int64?) throws {
        try pool.write { db in
            try db.execute(sql: """
                UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = ?, last_error = ?,
                    status = ?, next_attempt = COALESCE(?, next_attempt), delivered = ?
                WHERE id = ?
                """, arguments: [status, error, delivered ? "delivered" : (retryAt == nil ? "failed" : "pending"), retryAt,
                                 delivered ? now : nil, id])
        }
    }

    private static func delivery(_ row: Row) -> WebhookDelivery {
        WebhookDelivery(id: row["id"], site: row["site"], audience: row["audience"], person: row["person"], url: row["url"],
                        body: row["body"], created: row["created"], attempts: row["attempts"], nextAttempt: row["next_attempt"],
                        status: row["status"], lastStatus: row["last_status"], lastError: row["last_error"], delivered: row["delivered"])
    }
}
