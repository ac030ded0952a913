import Foundation
import HTTPTypes
import Hummingbird
import StepwiseCore

/// Segment's HTTP Tracking API (`/v1/track`, `/v1/page`, `/v1/identify`, `/v1/batch`), so
/// Segment and RudderStack SDKs can send to Stepwise unchanged but for the host. The site is
/// the one whose `segment_write_key` the request carries (basic-auth user, or `writeKey` in the
/// body). Answers `200 {"success": true}`; a request with any bad message is refused whole
/// (`400 {"success": false, "message"}`) and nothing of it is stored; `messageId` makes
/// retries idempotent.
struct SegmentEndpoint: Sendable {
    let ingest: IngestController
    let sites: SiteRegistry

    static let maxMessageBytes = 32 << 10
    static let maxBatchBytes = 500 << 10

    func addRoutes(to router: Router<StepwiseRequestContext>) {
        for type in ["track", "page", "identify", "screen", "alias", "group", "batch"] {
            router.post("/v1/\(type)") { request, context in try await self.accept(request, context, type: type) }
        }
    }

    struct Refusal: Error {
        var status: HTTPResponse.Status
        var message: String
        /// Segment's SDKs read `code` and `message` from an error.
        var code: String { status == .unauthorized ? "unauthorized" : (status == .unsupportedMediaType ? "unsupported_encoding" : "invalid_request") }
    }

    func accept(_ request: Request, _ context: StepwiseRequestContext, type: String) async throws -> Response {
        do {
            try ingest.checkRate(request, context)
            return try await handle(request, type: type)
        } catch let refusal as Refusal {
            return Response.json(.object(JSONObject(keys: ["success", "code", "message"],
                                                    values: [.bool(false), .string(refusal.code), .string(refusal.message)])), status: refusal.status)
        }
    }

    private func handle(_ request: Request, type: String) async throws -> Response {
        let encoding = request.headers[.contentEncoding]?.lowercased() ?? "identity"
        guard ["identity", "gzip"].contains(encoding) else {
            throw Refusal(status: .unsupportedMediaType, message: "Content-Encoding \(encoding) is not supported; send JSON, plain or gzip")
        }
        let limit = type == "batch" ? Self.maxBatchBytes : Self.maxMessageBytes
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw Refusal(status: .badRequest, message: "the request is \(length) bytes; the limit is \(limit / 1024) KB")
        }
        var body: ByteBuffer
        do { body = try await request.body.collect(upTo: limit) } catch {
            throw Refusal(status: .badRequest, message: "the request is over \(limit / 1024) KB")
        }
        if encoding == "gzip" {
            do { body = try GzipBody.inflate(body, limit: limit) } catch {
                throw Refusal(status: .badRequest, message: error == .tooLarge ? "the request inflates past \(limit / 1024) KB" : "the gzip body is corrupt")
            }
        }
        guard case .object(let document)? = try? body.withUnsafeReadableBytes({ raw in try JSONParser.parse(buffer: raw.bindMemory(to: UInt8.self)) }) else {
            throw Refusal(status: .badRequest, message: "the body must be a JSON object")
        }
        let key = Self.basicUser(request.headers[.authorization]) ?? document["writeKey"].flatMap { if case .string(let k) = $0 { k } else { nil } }
        guard let key, let site = sites.site(segmentWriteKey: key) else {
            throw Refusal(status: .unauthorized, message: "a valid write key is required (basic-auth user or writeKey)")
        }
        var messages: [(type: String, object: JSONObject)] = []
        if type == "batch" {
            guard case .array(let items)? = document["batch"] else { throw Refusal(status: .badRequest, message: "batch must be an array of messages") }
            for (index, item) in items.enumerated() {
                guard case .object(var message) = item, case .string(let kind)? = message["type"] else {
                    throw Refusal(status: .badRequest, message: "batch[\(index)]: each message needs a type")
                }
                if JSONWriter.write(item).utf8.count > Self.maxMessageBytes {
                    throw Refusal(status: .badRequest, message: "batch[\(index)]: a message is at most 32 KB")
                }
                // The batch's own context applies to messages that have none.
                if message["context"] == nil, let shared = document["context"] { message.append("context", shared) }
                messages.append((kind, message))
            }
        } else {
            messages.append((type, document))
        }

        let now = Int64(Date().timeIntervalSince1970 * 1000)
        var events: [EnrichedEvent] = []
        var links: [(visitor: String, user: String)] = []
        for (index, message) in messages.enumerated() {
            let at = type == "batch" ? "batch[\(index)]: " : ""
            let canonical: JSONObject?
            do { canonical = try Self.canonical(message.object, type: message.type, site: site.name) } catch let error as Refusal {
                throw Refusal(status: error.status, message: at + error.message)
            }
            if message.type == "identify", case .string(let anonymous)? = message.object["anonymousId"], case .string(let user)? = message.object["userId"] {
                links.append((anonymous, user))
            }
            guard let canonical else { continue }
            switch ingest.decoder.validator.validate(.object(canonical), now: now, defaultUserAgent: nil) {
            case .success(let event):
                // The browser is `context.userAgent`; the request's own User-Agent is the sending SDK's.
                events.append(ingest.enricher.enrich(event))
            case .failure(let rejection):
                throw Refusal(status: .badRequest, message: at + "\(Self.segmentField(rejection.field)): \(rejection.message)")
            }
        }
        try ingest.checkSiteRate(events.lazy.map(\.event.site))
        do {
            if !events.isEmpty { _ = try await ingest.sink.append(events, received: now) }
            for link in links { try await ingest.sink.identify(site: site.name, visitor: link.visitor, user: link.user) }
        } catch {
            throw APIError.storageUnavailable
        }
        return Response.json(.object(JSONObject(keys: ["success"], values: [.bool(true)])))
    }

    /// One Segment message as a canonical event; nil for types that record no event.
    static func canonical(_ message: JSONObject, type: String, site: String) throws -> JSONObject? {
        func text(_ value: JSONValue?) -> String? {
            switch value {
            case .string(let s)? where !s.isEmpty: s
            case .number(let n)?: JSONWriter.formatNumber(n)
            default: nil
            }
        }
        let user = text(message["userId"]), anonymous = text(message["anonymousId"])
        guard user != nil || anonymous != nil else { throw Refusal(status: .badRequest, message: "userId or anonymousId is required") }
        let name: String
        switch type {
        case "track":
            guard let event = text(message["event"]) else { throw Refusal(status: .badRequest, message: "event is required for a track call") }
            name = event
        case "page": name = "pageview"
        case "screen": name = "screen"
        case "identify", "alias", "group": return nil
        default: throw Refusal(status: .badRequest, message: "'\(type)' is not a Segment message type")
        }
        var properties = JSONObject()
        if case .object(let given)? = message["properties"] { properties = given }
        var context = JSONObject(), page = JSONObject()
        if case .object(let given)? = message["context"] { context = given }
        if case .object(let given)? = context["page"] { page = given }

        var event = JSONObject(keys: ["site", "event"], values: [.string(site), .string(name)])
        event.append("visitor", .string(anonymous ?? user!))
        if let user { event.append("user", .string(user)) }
        if let id = text(message["messageId"]) { event.append("id", .string(id)) }
        if let at = text(message["timestamp"]) ?? text(message["originalTimestamp"]) { event.append("timestamp", .string(at)) }
        if let url = text(properties["url"]) ?? text(page["url"]) { event.append("url", .string(url)) }
        if let referrer = text(properties["referrer"]) ?? text(page["referrer"]) { event.append("referrer", .string(referrer)) }
        if let agent = text(context["userAgent"]) { event.append("user_agent", .string(agent)) }
        if let zone = text(context["timezone"]) { event.append("timezone", .string(zone)) }
        if case .number(let amount)? = properties["revenue"] {
            event.append("revenue", .object(JSONObject(keys: ["amount", "currency"], values: [.number(amount), .string((text(properties["currency"]) ?? "USD").uppercased())])))
        }
        // Properties become props: nested objects flattened with dots, lists as their JSON.
        var props = JSONObject()
        func add(_ prefix: String, _ object: JSONObject) {
            for (key, value) in zip(object.keys, object.values) where !(prefix.isEmpty && ["url", "referrer", "revenue", "currency"].contains(key)) {
                switch value {
                case .object(let inner): add(prefix + key + ".", inner)
                case .array: props.append(prefix + key, .string(JSONWriter.write(value)))
                default: props.append(prefix + key, value)
                }
            }
        }
        add("", properties)
        if type == "page", let title = text(message["name"]) { props.append("page_name", .string(title)) }
        if props.count > 0 { event.append("props", .object(props)) }
        return event
    }

    static func segmentField(_ canonical: String?) -> String {
        switch canonical {
        case "visitor": "anonymousId"
        case "user": "userId"
        case "id": "messageId"
        case "props"?: "properties"
        case let other?: other.hasPrefix("props.") ? "properties." + other.dropFirst(6) : other
        case nil: "message"
        }
    }

    /// The user of `Authorization: Basic base64(user:password)`.
    static func basicUser(_ header: String?) -> String? {
        guard let header, header.hasPrefix("Basic "), let data = Data(base64Encoded: String(header.dropFirst(6))),
              let text = String(data: data, encoding: .utf8) else { return nil }
        let user = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        return user.isEmpty ? nil : user
    }
}
