/// The body of `POST /api/v1/events`: one event object, or `{"batch": [...]}`.
public struct EventBatchDecoder: Sendable {
    public static let maxBodyBytes = 1 << 20
    public static let maxBatch = 1000

    /// A request-level failure: nothing from the request is stored.
    public struct RequestError: Error, Sendable, Equatable {
        public enum Code: String, Sendable { case invalidJSON = "invalid_json", batchTooLarge = "batch_too_large", invalidBody = "invalid_body", bodyTooLarge = "body_too_large" }
        public var code: Code
        public var message: String
        public var status: Int { code == .batchTooLarge || code == .bodyTooLarge ? 413 : 400 }
    }

    /// What a request decoded to: the good events with their batch index, and the rejections.
    public struct Decoded: Sendable {
        public var events: [(index: Int, event: CanonicalEvent)]
        /// Each rejection with the site the event named, when it named one (tracking health counts them per site).
        public var rejected: [(index: Int, rejection: EventRejection, site: String?)]
        /// The body was `{"batch": [...]}` rather than one event.
        public var isBatch: Bool
    }

    public var validator = EventValidator()

    public init() {}

    public func decode(
        body: UnsafeBufferPointer<UInt8>, now: Int64, userAgent: String?, defaultVisitor: ((_ site: String, _ userAgent: String?) -> String?)? = nil
    ) -> Result<Decoded, RequestError> {
        if body.count > Self.maxBodyBytes {
            return .failure(RequestError(code: .bodyTooLarge, message: "request body is \(body.count) bytes; the limit is \(Self.maxBodyBytes)"))
        }
        let document: JSONValue
        do {
            document = try JSONParser.parse(buffer: body)
        } catch {
            return .failure(RequestError(code: .invalidJSON, message: error.description))
        }
        let items: [JSONValue]
        var isBatch = false
        if case .object(let object) = document, object.count == 1, object.keys[0] == "batch" {
            guard case .array(let batch) = object.values[0] else {
                return .failure(RequestError(code: .invalidBody, message: "batch must be an array of events, got \(object.values[0].typeName)"))
            }
            if batch.count > Self.maxBatch {
                return .failure(RequestError(code: .batchTooLarge, message: "batch has \(batch.count) events; the limit is \(Self.maxBatch)"))
            }
            items = batch
            isBatch = true
        } else if case .object = document {
            items = [document]
        } else {
            return .failure(RequestError(code: .invalidBody, message: "body must be an event object or {\"batch\": [...]}, got \(document.typeName)"))
        }
        var decoded = Decoded(events: [], rejected: [], isBatch: isBatch)
        decoded.events.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            switch validator.validate(item, now: now, defaultUserAgent: userAgent, defaultVisitor: defaultVisitor) {
            case .success(let event): decoded.events.append((index, event))
            case .failure(let rejection):
                var site: String?
                if case .object(let object) = item, case .string(let named)? = object["site"], !named.isEmpty, named.utf8.count <= 255 { site = named }
                decoded.rejected.append((index, rejection, site))
            }
        }
        return .success(decoded)
    }
}
