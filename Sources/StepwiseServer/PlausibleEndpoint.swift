import Foundation
import HTTPTypes
import Hummingbird
import StepwiseCore

/// Plausible's Events API, `POST /api/event`, so a site's existing Plausible snippet or
/// server-side calls can point at Stepwise unchanged: the same body, `202 ok`, and
/// `400 {"errors": {field: [reason]}}`. Like Plausible, the visitor is the day's cookieless
/// hash of site, client IP and user agent, and bots are dropped with `X-Plausible-Dropped: 1`.
struct PlausibleEndpoint: Sendable {
    let ingest: IngestController
    static let dropped = HTTPField.Name("X-Plausible-Dropped")!
    static let maxProps = 30

    func addRoutes(to router: Router<StepwiseRequestContext>) {
        router.post("/api/event") { request, context in try await self.accept(request, context) }
    }

    func accept(_ request: Request, _ context: StepwiseRequestContext) async throws -> Response {
        let client = ingest.client(request, context)
        try ingest.checkRate(client: client)
        let body = try await ingest.collect(request)
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        guard case .object(let object)? = try? body.withUnsafeReadableBytes({ raw in try JSONParser.parse(buffer: raw.bindMemory(to: UInt8.self)) }) else {
            return Self.errors(["request": ["must be a JSON object with name, url and domain"]])
        }
        var errors: [String: [String]] = [:]
        func text(_ key: String, required: Bool) -> String? {
            switch object[key] {
            case .string(let value)? where !value.isEmpty: return value
            case nil, .null?, .string?: if required { errors[key, default: []].append("can't be blank") }
            case let other?: errors[key, default: []].append("must be a string, got \(other.typeName)")
            }
            return nil
        }
        let name = text("name", required: true), url = text("url", required: true), domain = text("domain", required: true)
        let referrer = text("referrer", required: false)
        if let url, URL(string: url)?.host == nil { errors["url", default: []].append("is not a valid URL") }
        var props = JSONObject()
        switch object["props"] ?? object["meta"] ?? object["m"] {
        case nil, .null?: break
        case .object(let given)?: props = given
        case .string(let encoded)?:
            if case .object(let given)? = try? JSONParser.parse(encoded) { props = given } else { errors["props", default: []].append("must be an object or a JSON object string") }
        case let other?: errors["props", default: []].append("must be an object, got \(other.typeName)")
        }
        if props.count > Self.maxProps { errors["props", default: []].append("has \(props.count) properties; the limit is \(Self.maxProps)") }
        for (key, value) in zip(props.keys, props.values) {
            switch value {
            case .string, .number, .bool: continue
            default: errors["props", default: []].append("\(key) must be a string, number or boolean")
            }
        }
        if case .bool(false)? = object["interactive"] { props.append("interactive", .bool(false)) }
        var revenue: JSONValue?
        if let given = object["revenue"], given != .null {
            guard case .object(let fields) = given, case .string(let currency)? = fields["currency"], let amount = Self.amount(fields["amount"]) else {
                errors["revenue", default: []].append("must be {\"currency\": \"USD\", \"amount\": 12.5}")
                return Self.errors(errors)
            }
            revenue = .object(JSONObject(keys: ["amount", "currency"], values: [.number(amount), .string(currency.uppercased())]))
        }
        guard errors.isEmpty, let name, let url, let domain else { return Self.errors(errors) }

        // `domain` may list several sites: the event is recorded for each.
        let agent = request.headers[.userAgent]
        var events: [EnrichedEvent] = []
        for site in domain.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !site.isEmpty {
            if let registry = ingest.writeKeys.registry, !registry.accepts(site) {
                return Self.errors(["domain": ["\(site) is not registered on this server"]])
            }
            var canonical = JSONObject(keys: ["site", "event", "url"], values: [.string(site), .string(name), .string(url)])
            if let referrer { canonical.append("referrer", .string(referrer)) }
            if props.count > 0 { canonical.append("props", .object(props)) }
            if let revenue { canonical.append("revenue", revenue) }
            let visitor: String
            do { visitor = try await ingest.cookieless.visitor(site: site, clientIP: client, userAgent: agent, now: now) } catch {
                throw APIError.storageUnavailable
            }
            canonical.append("visitor", .string(visitor))
            switch ingest.decoder.validator.validate(.object(canonical), now: now, defaultUserAgent: agent) {
            case .success(let event):
                let enriched = ingest.enricher.enrich(event)
                if enriched.botSignal != .none || ingest.botNetworks.contains(client) {
                    return Response(status: .accepted, headers: [Self.dropped: "1", .contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "ok")))
                }
                events.append(enriched)
            case .failure(let rejection):
                return Self.errors([Self.field(rejection.field): [rejection.message]])
            }
        }
        try ingest.checkSiteRate(events.lazy.map(\.event.site))
        do {
            _ = try await ingest.sink.append(events, received: now)
        } catch {
            throw APIError.storageUnavailable
        }
        return Response(status: .accepted, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "ok")))
    }

    /// Canonical field names back to Plausible's.
    static func field(_ canonical: String?) -> String {
        switch canonical {
        case "event": "name"
        case "site": "domain"
        case let other?: other.hasPrefix("props") ? "props" : other
        case nil: "request"
        }
    }

    static func amount(_ value: JSONValue?) -> Double? {
        switch value {
        case .number(let x)? where x.isFinite: x
        case .string(let text)?: Double(text).flatMap { $0.isFinite ? $0 : nil }
        default: nil
        }
    }

    static func errors(_ errors: [String: [String]]) -> Response {
        let keys = errors.keys.sorted()
        let body = JSONValue.object(JSONObject(keys: ["errors"], values: [.object(JSONObject(keys: keys, values: keys.map { .array(errors[$0]!.map(JSONValue.string)) }))]))
        return Response.json(body, status: .badRequest)
    }
}
