import Foundation
import Hummingbird
import StepwiseCore

/// The GA4 Measurement Protocol: `POST /mp/collect` answers `204` whatever it is sent, as
/// Google does, storing a request only when every part of it is valid; `POST
/// /debug/mp/collect` stores nothing and answers `{"validationMessages": [...]}` with the
/// field path, a description and Google's validation code, so a sender can see what
/// `/mp/collect` silently dropped. The site is the one configured for the `measurement_id`,
/// and the `api_secret` must be that site's.
struct GA4Endpoint: Sendable {
    let ingest: IngestController
    let sites: SiteRegistry

    static let maxBodyBytes = 130 << 10
    static let maxEvents = 25, maxParams = 25, maxNameLength = 40, maxParamValueLength = 100
    static let maxUserProperties = 25, maxUserPropertyName = 24, maxUserPropertyValue = 36
    /// Names Google reserves for its own events.
    static let reservedNames: Set<String> = [
        "ad_activeview", "ad_click", "ad_exposure", "ad_impression", "ad_query", "adunit_exposure", "app_clear_data", "app_install",
        "app_update", "app_remove", "error", "first_open", "first_visit", "in_app_purchase", "notification_dismiss",
        "notification_foreground", "notification_open", "notification_receive", "os_update", "screen_view", "session_start",
        "user_engagement",
    ]
    static let reservedPrefixes = ["_", "firebase_", "ga_", "google_", "gtag."]

    struct Message: Equatable {
        var fieldPath: String
        var description: String
        var validationCode: String
    }

    func addRoutes(to router: Router<StepwiseRequestContext>) {
        router.post("/mp/collect") { request, context in
            // Google answers 2xx to every hit; a bad one is dropped. So are we, whole.
            if let events = try? await self.validated(request, context), !events.isEmpty {
                do { _ = try await self.ingest.sink.append(events, received: Int64(Date().timeIntervalSince1970 * 1000)) } catch {
                    throw APIError.storageUnavailable
                }
            }
            return Response(status: .noContent)
        }
        router.post("/debug/mp/collect") { request, context in
            var messages: [Message] = []
            do { _ = try await self.validated(request, context) } catch let found as Found { messages = found.messages }
            return Response.json(.object(JSONObject(keys: ["validationMessages"], values: [.array(messages.map { message in
                .object(JSONObject(keys: ["fieldPath", "description", "validationCode"],
                                   values: [.string(message.fieldPath), .string(message.description), .string(message.validationCode)]))
            })])))
        }
    }

    struct Found: Error { var messages: [Message] }

    /// The request's canonical events, or `Found` with every validation message.
    private func validated(_ request: Request, _ context: StepwiseRequestContext) async throws -> [EnrichedEvent] {
        try ingest.checkRate(request, context)
        var messages: [Message] = []
        func fail(_ path: String, _ description: String, _ code: String) { messages.append(Message(fieldPath: path, description: description, validationCode: code)) }
        let parameters = request.uri.queryParameters
        let id = parameters.get("measurement_id") ?? parameters.get("firebase_app_id")
        let secret = parameters.get("api_secret")
        let site = id.flatMap { sites.site(ga4MeasurementID: $0) }
        if id == nil { fail("measurement_id", "Measurement ID is required.", "VALUE_REQUIRED") } else if site == nil {
            fail("measurement_id", "Measurement ID \(id!) is not configured for any site.", "VALUE_INVALID")
        }
        if secret == nil { fail("api_secret", "API secret is required.", "VALUE_REQUIRED") } else if let site, let expected = site.ga4APISecret, !constantTimeEqual(secret!, expected) {
            fail("api_secret", "API secret does not match the measurement ID.", "VALUE_INVALID")
        }
        let body: ByteBuffer
        do { body = try await request.body.collect(upTo: Self.maxBodyBytes) } catch {
            fail("", "Request body is larger than 130 kB.", "VALUE_OUT_OF_BOUNDS")
            throw Found(messages: messages)
        }
        guard case .object(let document)? = try? body.withUnsafeReadableBytes({ raw in try JSONParser.parse(buffer: raw.bindMemory(to: UInt8.self)) }) else {
            fail("", "Request body must be a JSON object.", "VALUE_INVALID")
            throw Found(messages: messages)
        }
        func string(_ value: JSONValue?) -> String? { if case .string(let s)? = value, !s.isEmpty { s } else { nil } }
        let clientID = string(document["client_id"]) ?? string(document["app_instance_id"])
        if clientID == nil { fail("client_id", "client_id is required.", "VALUE_REQUIRED") }
        let userID = string(document["user_id"])
        var timestamp: Int64?
        if let given = document["timestamp_micros"] {
            // Bounded before converting: a huge number would trap Int64's initialiser.
            if case .number(let micros) = given, micros >= 0, micros < 1e18, micros == micros.rounded() { timestamp = Int64(micros / 1000) } else {
                fail("timestamp_micros", "timestamp_micros must be a whole number of microseconds.", "VALUE_INVALID")
            }
        }
        if case .object(let properties)? = document["user_properties"] {
            if properties.count > Self.maxUserProperties { fail("user_properties", "At most \(Self.maxUserProperties) user properties.", "EXCEEDED_MAX_ENTITIES") }
            for key in properties.keys where key.count > Self.maxUserPropertyName {
                fail("user_properties.\(key)", "User property names are at most \(Self.maxUserPropertyName) characters.", "VALUE_OUT_OF_BOUNDS")
            }
        }
        var items: [JSONObject] = []
        switch document["events"] {
        case .array(let list)?:
            if list.isEmpty { fail("events", "At least one event is required.", "VALUE_REQUIRED") }
            if list.count > Self.maxEvents { fail("events", "At most \(Self.maxEvents) events per request.", "EXCEEDED_MAX_ENTITIES") }
            for (k, item) in list.enumerated() {
                guard case .object(let event) = item else { fail("events[\(k)]", "Each event must be an object.", "VALUE_INVALID"); continue }
                items.append(event)
            }
        default: fail("events", "events is required.", "VALUE_REQUIRED")
        }
        for (k, event) in items.enumerated() {
            let path = "events[\(k)]"
            guard let name = string(event["name"]) else { fail("\(path).name", "Event name is required.", "VALUE_REQUIRED"); continue }
            if let problem = Self.nameProblem(name) { fail("\(path).name", "Event name \(name) \(problem.0)", problem.1) }
            if Self.reservedNames.contains(name) { fail("\(path).name", "Event name \(name) is reserved.", "NAME_RESERVED") }
            guard case .object(let params)? = event["params"] ?? .object(JSONObject()) else { fail("\(path).params", "params must be an object.", "VALUE_INVALID"); continue }
            if params.count > Self.maxParams { fail("\(path).params", "At most \(Self.maxParams) params per event.", "EXCEEDED_MAX_ENTITIES") }
            for (key, value) in zip(params.keys, params.values) {
                if let problem = Self.nameProblem(key) { fail("\(path).params.\(key)", "Param name \(key) \(problem.0)", problem.1) }
                switch value {
                case .string(let text) where text.count > Self.maxParamValueLength && !["page_location", "page_referrer"].contains(key):
                    fail("\(path).params.\(key)", "Param values are at most \(Self.maxParamValueLength) characters.", "VALUE_OUT_OF_BOUNDS")
                case .string, .number, .bool: break
                case .array where key == "items": break
                default: fail("\(path).params.\(key)", "Param values must be strings or numbers.", "VALUE_INVALID")
                }
            }
        }
        guard messages.isEmpty, let site, let clientID else { throw Found(messages: messages) }

        let now = Int64(Date().timeIntervalSince1970 * 1000)
        var events: [EnrichedEvent] = []
        for (k, event) in items.enumerated() {
            let name = string(event["name"])!
            var params = JSONObject()
            if case .object(let given)? = event["params"] { params = given }
            var canonical = JSONObject(keys: ["site", "event", "visitor"], values: [.string(site.name), .string(name == "page_view" ? "pageview" : name), .string(clientID)])
            if let userID { canonical.append("user", .string(userID)) }
            if let timestamp { canonical.append("timestamp", .number(Double(timestamp))) }
            if let url = string(params["page_location"]) { canonical.append("url", .string(url)) }
            if let referrer = string(params["page_referrer"]) { canonical.append("referrer", .string(referrer)) }
            if case .number(let value)? = params["value"], let currency = string(params["currency"]) {
                canonical.append("revenue", .object(JSONObject(keys: ["amount", "currency"], values: [.number(value), .string(currency.uppercased())])))
            }
            var props = JSONObject()
            for (key, value) in zip(params.keys, params.values) where !["page_location", "page_referrer"].contains(key) {
                if case .array = value { props.append(key, .string(JSONWriter.write(value))) } else { props.append(key, value) }
            }
            if props.count > 0 { canonical.append("props", .object(props)) }
            switch ingest.decoder.validator.validate(.object(canonical), now: now) {
            case .success(let valid): events.append(ingest.enricher.enrich(valid))
            case .failure(let rejection):
                let field = rejection.field.map { $0 == "timestamp" ? "timestamp_micros" : "events[\(k)].\($0)" } ?? "events[\(k)]"
                fail(field, rejection.message, "VALUE_INVALID")
            }
        }
        guard messages.isEmpty else { throw Found(messages: messages) }
        return events
    }

    /// GA4's naming rule: a letter first, then letters, digits and underscores, at most 40.
    static func nameProblem(_ name: String) -> (String, String)? {
        if name.count > maxNameLength { return ("is longer than \(maxNameLength) characters.", "VALUE_OUT_OF_BOUNDS") }
        if reservedPrefixes.contains(where: { name.hasPrefix($0) }) { return ("uses a reserved prefix.", "NAME_RESERVED") }
        guard let first = name.unicodeScalars.first, first.properties.isAlphabetic, first.isASCII,
              name.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_") }) else {
            return ("may only contain letters, digits and underscores, and must start with a letter.", "NAME_INVALID")
        }
        return nil
    }
}
