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
            // A few queries per 500 persons, not per person: an export of a large audience stays quick.
            for start in stride(from: 0, to: keys.count, by: 500) {
                let chunk = keys[start..<min(keys.count, start + 500)]
                let userIDs = chunk.filter { $0 & 1 == 1 }.map { Int64($0 >> 1) }
                let visitorIDs = chunk.filter { $0 & 1 == 0 }.map { Int64($0 >> 1) }
                func marks(_ count: Int) -> String { Array(repeating: "?", count: count).joined(separator: ",") }
                // Each visitor's person key: the user's when it belongs to one of these users.
                var personOfVisitor: [Int64: UInt32] = [:]
                if !userIDs.isEmpty {
                    for row in try Row.fetchAll(db, sql: "SELECT id, key FROM users WHERE id IN (\(marks(userIDs.count)))",
                                                arguments: StatementArguments(userIDs)) {
                        let key = UInt32(row[0] as Int64) * 2 + 1
                        let name: String = row[1]
                        result[key] = PersonIdentity(person: name, user: name, clickIds: [:])
                    }
                    for row in try Row.fetchAll(db, sql: "SELECT id, user_id FROM visitors WHERE user_id IN (\(marks(userIDs.count)))",
                                                arguments: StatementArguments(userIDs)) {
                        personOfVisitor[row[0]] = UInt32(row[1] as Int64) * 2 + 1
                    }
                }
                if !visitorIDs.isEmpty {
                    for row in try Row.fetchAll(db, sql: "SELECT id, key FROM visitors WHERE id IN (\(marks(visitorIDs.count)))",
                                                arguments: StatementArguments(visitorIDs)) {
                        let key = UInt32(row[0] as Int64) * 2
                        result[key] = PersonIdentity(person: row[1], user: nil, clickIds: [:])
                        personOfVisitor[row[0]] = key
                    }
                }
                let visitors = Array(personOfVisitor.keys)
                guard !visitors.isEmpty else { continue }
                let rows = try Row.fetchAll(
                    db, sql: """
                        SELECT e.visitor, e.click_ids, e.ts, ua.value FROM events e LEFT JOIN strings ua ON ua.id = e.user_agent
                        WHERE e.visitor IN (\(marks(visitors.count))) AND e.click_ids IS NOT NULL ORDER BY e.ts
                        """,
                    arguments: StatementArguments(visitors))
                for row in rows {
                    guard let key = personOfVisitor[row[0]], case .object(let object)? = try? JSONParser.parse(row[1] as String) else { continue }
                    for (kind, value) in zip(object.keys, object.values) {
                        guard case .string(let id) = value else { continue }
                        result[key]?.clickIds[kind] = id
                        result[key]?.clicks.append(SeenClick(kind: kind, value: id, time: row[2], userAgent: row[3]))
                    }
                }
            }
            for key in keys where result[key] == nil {
                result[key] = PersonIdentity(person: PersonLabel.fallback(key), user: nil, clickIds: [:])
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
