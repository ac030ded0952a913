import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOCore
import StepwiseCore
import StepwiseEngine
import StepwisePlan
import StepwiseStorage

/// Calls each audience's webhook when a person enters it (SPEC §4.5).
///
/// Every `interval` the audiences that have a webhook are evaluated and compared with the
/// membership stored at the last check; each entrant gets a delivery row in the same
/// transaction, so a crash between the check and the call loses nothing. Deliveries are
/// POSTed with an HMAC-SHA256 signature of the body and retried with exponential backoff
/// until a 2xx: at-least-once, and each delivery's id is unique so receivers can drop repeats.
/// The first check after an audience gains a webhook sends everyone already in it. Scaled
/// out, only the node `role` elects queues deliveries; the others keep the membership current.
public final class AudienceWebhooks: Sendable {
    let store: EventStore
    let backend: any ReportBackend
    let plans: PlanRegistry
    let role: MonitorRole
    let secret: String
    let interval: Duration
    /// First retry delay; each later one doubles, up to an hour.
    let retryBaseMillis: Int64
    let maxAttempts: Int
    let client: HTTPClient
    let logger = Logger(label: "stepwise.webhooks")

    public init(store: EventStore, backend: any ReportBackend, plans: PlanRegistry, secret: String, interval: Duration = .seconds(60),
                retryBaseMillis: Int64 = 1000, maxAttempts: Int = 10, client: HTTPClient = .shared, role: MonitorRole = .alone) {
        self.store = store
        self.backend = backend
        self.plans = plans
        self.role = role
        self.secret = secret
        self.interval = interval
        self.retryBaseMillis = retryBaseMillis
        self.maxAttempts = maxAttempts
        self.client = client
    }

    /// The signature header's value for a body: `sha256=` and the hex HMAC.
    public static func signature(_ body: String, secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(body.utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    /// Checks audiences every `interval` and delivers what is due every second, until cancelled.
    public func run() async {
        var nextCheck = ContinuousClock.now
        while !Task.isCancelled {
            if ContinuousClock.now >= nextCheck {
                await checkAudiences()
                nextCheck = ContinuousClock.now + interval
            }
            await deliverDue()
            try? await Task.sleep(for: min(interval, .seconds(1)))
        }
    }

    /// One membership check over every site's audiences that have a webhook; returns the entrants queued.
    @discardableResult
    public func checkAudiences() async -> Int {
        var queued = 0
        for site in plans.sites {
            guard let plan = plans.entry(site: site)?.plan else { continue }
            let hooked = plan.audiences.filter { $0.webhook != nil }
            guard !hooked.isEmpty, role.scaledOut || store.live.snapshot().siteID(site) != nil else { continue }
            let sends = role.sends
            do {
                let results = try await backend.audiences(AudienceQuery(site: site, plan: plan), names: hooked.map(\.name), limit: nil)
                let now = Int64(Date().timeIntervalSince1970 * 1000)
                for (audience, result) in zip(hooked, results) {
                    let members = Dictionary(result.members.map { ($0.person, $0) }, uniquingKeysWith: { a, _ in a })
                    let entered = try store.syncAudience(
                        site: site, audience: audience.name, members: result.members.map(\.person), webhook: sends ? audience.webhook : nil, now: now
                    ) { person, id in
                        Self.body(id: id, site: site, audience: audience.name, member: members[person]!, at: now)
                    }
                    if sends { queued += entered.count }
                }
            } catch {
                logger.error("audience check failed for \(site): \(error)")
            }
        }
        return queued
    }

    /// POSTs every delivery that is due; returns how many succeeded.
    @discardableResult
    public func deliverDue() async -> Int {
        let due: [WebhookDelivery]
        do { due = try store.dueDeliveries(now: Int64(Date().timeIntervalSince1970 * 1000)) } catch {
            logger.error("reading due webhook deliveries failed: \(error)")
            return 0
        }
        // Calls go out together, so one slow receiver does not hold up the others.
        return await withTaskGroup(of: Bool.self) { group in
            for delivery in due { group.addTask { await self.attempt(delivery) } }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
    }

    /// One POST of a delivery, recorded; true when it landed.
    private func attempt(_ delivery: WebhookDelivery) async -> Bool {
        var request = HTTPClientRequest(url: delivery.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "Stepwise-Webhooks/1")
        request.headers.add(name: "X-Stepwise-Delivery", value: delivery.id)
        request.headers.add(name: "X-Stepwise-Signature", value: Self.signature(delivery.body, secret: secret))
        request.body = .bytes(ByteBuffer(string: delivery.body))
        var status: Int?
        var failure: String?
        do {
            let response = try await client.execute(request, timeout: .seconds(10))
            status = Int(response.status.code)
            if !(200..<300).contains(status!) { failure = "HTTP \(status!)" }
        } catch {
            failure = String(describing: error)
        }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let attempts = delivery.attempts + 1
        let retryAt = failure == nil || attempts >= maxAttempts
            ? nil : now + min(retryBaseMillis << Int64(min(attempts - 1, 30)), 3_600_000)
        do {
            try store.recordAttempt(delivery.id, at: now, status: status, error: failure, delivered: failure == nil, retryAt: retryAt)
        } catch {
            logger.error("recording webhook attempt \(delivery.id) failed: \(error)")
        }
        return failure == nil
    }

    static func body(id: String, site: String, audience: String, member: AudienceMember, at now: Int64) -> String {
        let clickIds = JSONObject(keys: member.clickIds.keys.sorted(), values: member.clickIds.keys.sorted().map { .string(member.clickIds[$0]!) })
        return JSONWriter.write(.object(JSONObject(
            keys: ["id", "type", "site", "audience", "person", "user", "score", "last_activity", "click_ids", "entered_at"],
            values: [.string(id), .string("audience.entered"), .string(site), .string(audience), .string(member.person),
                     member.user.map(JSONValue.string) ?? .null, .number((member.score * 100).rounded() / 100),
                     .string(member.lastActivity), .object(clickIds), .string(Timestamp.formatRFC3339(now))])))
    }
}
