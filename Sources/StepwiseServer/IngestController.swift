import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import StepwiseCore
import StepwiseStorage

/// `POST /api/v1/events` and `POST /api/v1/identify`: validate, enrich, store durably, answer.
struct IngestController: Sendable {
    let store: EventStore
    /// Where accepted events go: the store itself, or ClickHouse's writer when scaled out.
    var sink: any EventSink
    let metrics: ServerMetrics
    let writeKeys: WriteKeyCheck
    let limiter: RateLimiter?
    /// Events per second per site; nil for no limit.
    var siteLimiter: RateLimiter?
    let botNetworks: NetworkList
    /// Proxies whose `X-Forwarded-For` names the client.
    let trustedProxies: NetworkList
    let cookieless: CookielessIdentity
    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!
    let enricher = EventEnricher()
    let decoder = EventBatchDecoder()

    func addRoutes(to router: Router<StepwiseRequestContext>) {
        router.post("/api/v1/events") { request, context in try await self.events(request, context) }
        router.post("/api/v1/identify") { request, context in try await self.identify(request, context) }
    }

    func events(_ request: Request, _ context: StepwiseRequestContext) async throws -> Response {
        do {
            let response = try await acceptEvents(request, context)
            metrics.recordRequest(status: Int(response.status.code))
            return response
        } catch let error as APIError {
            metrics.recordRequest(status: Int(error.status.code))
            metrics.recordRejected(error.code)
            throw error
        }
    }

    private func acceptEvents(_ request: Request, _ context: StepwiseRequestContext) async throws -> Response {
        let client = client(request, context)
        try checkRate(client: client)
        let body = try await collect(request)
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let userAgent = request.headers[.userAgent]
        // `?cookieless=1` (the tracker's cookieless mode): an event without a visitor gets the
        // server's daily id. Without it a missing visitor stays an error, so a broken
        // integration is caught rather than counted.
        let anonymous = request.uri.queryParameters.get("cookieless") == "1"
        // Without the day's salt no visitor can be made: the sender retries (503), not a 400 per event.
        var salt: Data?
        if anonymous {
            do { salt = try await cookieless.salt(now: now) } catch { throw APIError.storageUnavailable }
        }
        let result = body.withUnsafeReadableBytes { raw in
            decoder.decode(body: raw.bindMemory(to: UInt8.self), now: now, userAgent: userAgent, defaultVisitor: anonymous ? { site, agent in
                salt.map { cookieless.visitor(site: site, clientIP: client, userAgent: agent, salt: $0) }
            } : nil)
        }
        var decoded: EventBatchDecoder.Decoded
        switch result {
        case .success(let value): decoded = value
        case .failure(let error): throw APIError(.init(code: error.status), code: error.code.rawValue, error.message)
        }
        if let registry = writeKeys.registry, !registry.open {
            // Events for sites that are not registered are refused one by one, like any bad event.
            decoded.events.removeAll { item in
                guard !registry.accepts(item.event.site) else { return false }
                decoded.rejected.append((item.index, EventRejection(.unknownSite, field: "site",
                    "site \(item.event.site) is not registered on this server; add it with `stepwise site add` or POST /api/v1/sites"), item.event.site))
                return true
            }
            decoded.rejected.sort { $0.index < $1.index }
        }
        try writeKeys.authorize(request, sites: Set(decoded.events.map(\.event.site)))
        // Counted per site for tracking health, written with the next commit.
        store.noteRejections(decoded.rejected.compactMap { item in item.site.map { ($0, item.rejection.code.rawValue) } }, at: now)
        if !decoded.isBatch, let only = decoded.rejected.first {
            throw APIError(.badRequest, code: only.rejection.code.rawValue, only.rejection.message, field: only.rejection.field)
        }
        for rejection in decoded.rejected { metrics.recordRejected(rejection.rejection.code.rawValue) }
        try checkSiteRate(decoded.events.lazy.map(\.event.site))
        let outcomes: [AppendOutcome]
        do {
            let fromDataCentre = botNetworks.contains(client)
            outcomes = try await sink.append(decoded.events.map { item in
                var enriched = enricher.enrich(item.event)
                if fromDataCentre, enriched.botSignal == .none { enriched.botSignal = .dataCentre }
                return enriched
            }, received: now)
        } catch {
            throw APIError.storageUnavailable
        }
        let duplicates = outcomes.count { $0 == .duplicate }
        let accepted = outcomes.count - duplicates
        metrics.record(accepted: accepted, duplicates: duplicates)
        var answer = JSONObject()
        answer.append("accepted", .number(Double(accepted)))
        answer.append("duplicates", .number(Double(duplicates)))
        answer.append("rejected", .array(decoded.rejected.map { item in
            var object = JSONObject(keys: ["index", "code", "message"],
                                    values: [.number(Double(item.index)), .string(item.rejection.code.rawValue), .string(item.rejection.message)])
            if let field = item.rejection.field { object.append("field", .string(field)) }
            return .object(object)
        }))
        // A batch in which nothing could be used is a client error, not a success.
        if decoded.events.isEmpty, !decoded.rejected.isEmpty {
            answer.append("error", .object(JSONObject(keys: ["code", "message"], values: [
                .string("all_events_rejected"), .string("none of the \(decoded.rejected.count) events were valid"),
            ])))
            return .json(.object(answer), status: .badRequest)
        }
        return .json(.object(answer), status: .accepted)
    }

    func identify(_ request: Request, _ context: StepwiseRequestContext) async throws -> Response {
        try checkRate(request, context)
        let body = try await collect(request)
        let object = try APIError.jsonObject(body, shape: "{site, visitor, user}")
        var values: [String: String] = [:]
        for key in object.keys where !["site", "visitor", "user"].contains(key) {
            throw APIError(.badRequest, code: "unknown_field", "unknown field '\(key)'; identify takes site, visitor and user", field: key)
        }
        for key in ["site", "visitor", "user"] {
            guard case .string(let value)? = object[key], !value.isEmpty else {
                throw APIError(.badRequest, code: "missing_field", "\(key) is required and must be a non-empty string", field: key)
            }
            guard value.unicodeScalars.count <= 128 else {
                throw APIError(.badRequest, code: "too_long", "\(key) is longer than 128 characters", field: key)
            }
            values[key] = value
        }
        try writeKeys.authorize(request, sites: [values["site"]!])
        try await sink.identify(site: values["site"]!, visitor: values["visitor"]!, user: values["user"]!)
        return .json(.object(JSONObject(keys: ["site", "visitor", "user"],
                                        values: [.string(values["site"]!), .string(values["visitor"]!), .string(values["user"]!)])))
    }

    /// The client a trusted proxy names, else the peer.
    func client(_ request: Request, _ context: StepwiseRequestContext) -> String {
        CookielessIdentity.clientAddress(peer: context.clientAddress, forwardedFor: request.headers[Self.forwardedFor], trusted: trustedProxies)
    }

    /// Requests per second per client.
    func checkRate(_ request: Request, _ context: StepwiseRequestContext) throws { try checkRate(client: client(request, context)) }

    func checkRate(client: String) throws {
        guard let limiter, let wait = limiter.acquire(client) else { return }
        throw Self.rateLimited("too many requests from this client", wait: wait)
    }

    /// Events per second per site, checked before storing: one site's flood cannot crowd out the others.
    func checkSiteRate(_ sites: some Sequence<String>) throws {
        guard let siteLimiter else { return }
        var counts: [String: Double] = [:]
        for site in sites { counts[site, default: 0] += 1 }
        if let (site, wait) = siteLimiter.acquire(counts) {
            throw Self.rateLimited("too many events for site \(site)", wait: wait)
        }
    }

    static func rateLimited(_ what: String, wait: Double) -> APIError {
        let seconds = max(1, Int(wait.rounded(.up)))
        var error = APIError(.tooManyRequests, code: "rate_limited", "\(what); retry after \(seconds) s")
        error.headers[.retryAfter] = String(seconds)
        return error
    }

    func collect(_ request: Request) async throws -> ByteBuffer {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > EventBatchDecoder.maxBodyBytes {
            throw tooLarge(length)
        }
        var request = request
        do {
            return try await request.collectBody(upTo: EventBatchDecoder.maxBodyBytes)
        } catch is NIOTooManyBytesError {
            throw tooLarge(nil)
        }
    }

    private func tooLarge(_ length: Int?) -> APIError {
        APIError(.contentTooLarge, code: "body_too_large",
                 "request body \(length.map { "is \($0) bytes; the limit is" } ?? "exceeds the limit of") \(EventBatchDecoder.maxBodyBytes) bytes")
    }
}
