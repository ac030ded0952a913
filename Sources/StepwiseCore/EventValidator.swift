/// Turns a JSON object into a `CanonicalEvent`, enforcing SPEC §3's limits.
///
/// Every rejection names the field (`props.price`, `timestamp`) and the reason, so a
/// sender can fix its instrumentation from the response alone.
public struct EventValidator: Sendable {
    public struct Limits: Sendable {
        public var maxNameLength = 128
        public var maxProps = 64
        public var maxPropKeyLength = 64
        public var maxPropStringLength = 1024
        public var maxIdentifierLength = 128
        public var maxURLLength = 2048
        public var maxUserAgentLength = 1024
        /// Clock skew tolerated for timestamps ahead of the server's clock.
        public var maxFutureMillis: Int64 = 5 * 60 * 1000
        /// Anything older is a sender bug (seconds sent as milliseconds), not history.
        public var earliestMillis: Int64 = 946_684_800_000  // 2000-01-01

        public init() {}
    }

    public static let knownFields: Set<String> = [
        "id", "site", "event", "visitor", "user", "timestamp", "url", "referrer", "props", "revenue",
        "user_agent", "timezone", "webdriver",
    ]

    public var limits: Limits

    /// The known fields of an event, each at most once (a repeated key keeps its first value,
    /// as a lookup would), gathered in one pass over the object's keys.
    struct Fields {
        var id, site, event, visitor, user, timestamp, url, referrer, props, revenue, userAgent, timezone, webdriver: JSONValue?

        /// Throws at the first key that is not a known field.
        init(_ object: JSONObject) throws(EventRejection) {
            for i in object.keys.indices {
                let key = object.keys[i], value = object.values[i]
                // The length first: at most two comparisons a key (this runs for every key of every event).
                switch key.utf8.count {
                case 2 where key == "id": if id == nil { id = value }
                case 3 where key == "url": if url == nil { url = value }
                case 4 where key == "site": if site == nil { site = value }
                case 4 where key == "user": if user == nil { user = value }
                case 5 where key == "event": if event == nil { event = value }
                case 5 where key == "props": if props == nil { props = value }
                case 7 where key == "visitor": if visitor == nil { visitor = value }
                case 7 where key == "revenue": if revenue == nil { revenue = value }
                case 8 where key == "referrer": if referrer == nil { referrer = value }
                case 8 where key == "timezone": if timezone == nil { timezone = value }
                case 9 where key == "timestamp": if timestamp == nil { timestamp = value }
                case 9 where key == "webdriver": if webdriver == nil { webdriver = value }
                case 10 where key == "user_agent": if userAgent == nil { userAgent = value }
                default:
                    throw EventRejection(.unknownField, field: key, "unknown field '\(key)'; known fields are \(EventValidator.knownFields.sorted().joined(separator: ", "))")
                }
            }
        }
    }

    /// Length in characters (Unicode scalars); counting is skipped when the UTF-8 size already fits.
    @inline(__always) static func length(_ text: String, within max: Int) -> Int? {
        if text.utf8.count <= max { return nil }
        let count = text.unicodeScalars.count
        return count > max ? count : nil
    }

    public init(limits: Limits = Limits()) { self.limits = limits }

    /// Validates one event. `now` is the server's clock in milliseconds: it fills an absent
    /// timestamp and bounds future ones. `defaults` fill `user_agent`/`site` a request implies.
    /// `defaultVisitor` names the visitor of an event sent without `visitor` or `user` (the
    /// tracker's cookieless mode), from the event's site and user agent.
    public func validate(
        _ value: JSONValue, now: Int64, defaultUserAgent: String? = nil, defaultVisitor: ((_ site: String, _ userAgent: String?) -> String?)? = nil
    ) -> Result<CanonicalEvent, EventRejection> {
        guard case .object(let object) = value else {
            return .failure(EventRejection(.invalidType, field: nil, "an event must be a JSON object, got \(value.typeName)"))
        }
        do {
            return .success(try validate(object, now: now, defaultUserAgent: defaultUserAgent, defaultVisitor: defaultVisitor))
        } catch {
            return .failure(error)
        }
    }

    private func validate(
        _ object: JSONObject, now: Int64, defaultUserAgent: String?, defaultVisitor: ((String, String?) -> String?)?
    ) throws(EventRejection) -> CanonicalEvent {
        let fields = try Fields(object)
        let site = try requiredString(fields.site, "site", max: limits.maxIdentifierLength)
        guard site.utf8.allSatisfy(Self.isSiteByte) else {
            throw EventRejection(.invalidValue, field: "site", "site may contain only letters, digits and . - _ :")
        }
        let name = try requiredString(fields.event, "event", max: limits.maxNameLength)
        guard name.utf8.allSatisfy(Self.isNameByte) else {
            throw EventRejection(.invalidEventName, field: "event", "event name may contain only letters, digits, spaces and _ . : $ - /")
        }
        let id = try optionalString(fields.id, "id", max: limits.maxIdentifierLength)
        let user = try optionalString(fields.user, "user", max: limits.maxIdentifierLength)
        let visitorField = try optionalString(fields.visitor, "visitor", max: limits.maxIdentifierLength)
        let userAgent = try optionalString(fields.userAgent, "user_agent", max: limits.maxUserAgentLength) ?? defaultUserAgent
        guard let visitor = visitorField ?? user ?? defaultVisitor?(site, userAgent) else {
            throw EventRejection(.missingField, field: "visitor", "visitor is required (or user, for a known person)")
        }
        let timestamp = try parseTimestamp(fields.timestamp, now: now)
        let url = try optionalString(fields.url, "url", max: limits.maxURLLength)
        let referrer = try optionalString(fields.referrer, "referrer", max: limits.maxURLLength, allowEmpty: true)
        let props = try parseProps(fields.props)
        let revenue = try parseRevenue(fields.revenue)
        let timezone = try optionalString(fields.timezone, "timezone", max: 64)
        if let timezone, !timezone.utf8.allSatisfy(Self.isTimezoneByte) {
            throw EventRejection(.invalidValue, field: "timezone", "timezone must be an IANA name such as Australia/Sydney")
        }
        var webdriver = false
        switch fields.webdriver {
        case nil, .null?: break
        case .bool(let flag)?: webdriver = flag
        case let other?: throw EventRejection(.invalidType, field: "webdriver", "webdriver must be a boolean, got \(other.typeName)")
        }
        return CanonicalEvent(
            id: id, site: site, name: name, visitor: visitor, user: user, timestamp: timestamp, url: url,
            referrer: referrer?.isEmpty == true ? nil : referrer, props: props, revenue: revenue,
            userAgent: userAgent?.isEmpty == true ? nil : userAgent, timezone: timezone, webdriver: webdriver)
    }

    private func requiredString(_ field: JSONValue?, _ key: String, max: Int) throws(EventRejection) -> String {
        guard let value = try optionalString(field, key, max: max) else {
            throw EventRejection(.missingField, field: key, "\(key) is required")
        }
        return value
    }

    private func optionalString(_ field: JSONValue?, _ key: String, max: Int, allowEmpty: Bool = false) throws(EventRejection) -> String? {
        switch field {
        case nil, .null?: return nil
        case .string(let text)?:
            if text.isEmpty && !allowEmpty { throw EventRejection(.invalidValue, field: key, "\(key) must not be empty") }
            if let length = Self.length(text, within: max) {
                throw EventRejection(.tooLong, field: key, "\(key) is \(length) characters; the limit is \(max)")
            }
            return text
        case let other?:
            throw EventRejection(.invalidType, field: key, "\(key) must be a string, got \(other.typeName)")
        }
    }

    private func parseTimestamp(_ value: JSONValue?, now: Int64) throws(EventRejection) -> Int64 {
        let millis: Int64
        switch value {
        case nil, .null?: return now
        case .string(let text)?:
            guard let parsed = Timestamp.parseRFC3339(text) else {
                throw EventRejection(.invalidTimestamp, field: "timestamp", "timestamp '\(text.prefix(40))' is not RFC 3339 (e.g. 2026-11-02T10:15:03.120Z)")
            }
            millis = parsed
        case .number(let number)?:
            guard number == number.rounded(), abs(number) < 9e15 else {
                throw EventRejection(.invalidTimestamp, field: "timestamp", "a numeric timestamp must be whole milliseconds since the epoch")
            }
            millis = Int64(number)
        case let other?:
            throw EventRejection(.invalidType, field: "timestamp", "timestamp must be an RFC 3339 string or integer milliseconds, got \(other.typeName)")
        }
        if millis > now + limits.maxFutureMillis {
            throw EventRejection(.futureTimestamp, field: "timestamp", "timestamp \(Timestamp.formatRFC3339(millis)) is more than 5 minutes in the future")
        }
        if millis < limits.earliestMillis {
            throw EventRejection(.invalidTimestamp, field: "timestamp", "timestamp \(Timestamp.formatRFC3339(millis)) is before 2000-01-01 (seconds sent as milliseconds?)")
        }
        return millis
    }

    private func parseProps(_ value: JSONValue?) throws(EventRejection) -> JSONObject {
        switch value {
        case nil, .null?: return JSONObject()
        case .object(let props)?:
            if props.count > limits.maxProps {
                throw EventRejection(.tooManyProps, field: "props", "props has \(props.count) keys; the limit is \(limits.maxProps)")
            }
            for i in props.keys.indices {
                let key = props.keys[i]
                // Named only when rejecting: this runs for every prop of every event.
                var field: String { "props.\(key.prefix(64))" }
                if key.isEmpty { throw EventRejection(.invalidValue, field: "props", "props keys must not be empty") }
                if Self.length(key, within: limits.maxPropKeyLength) != nil {
                    throw EventRejection(.tooLong, field: field, "props key '\(key.prefix(64))…' is longer than \(limits.maxPropKeyLength) characters")
                }
                // At most 64 keys: comparing with the earlier ones beats hashing them.
                if props.keys[..<i].contains(key) { throw EventRejection(.invalidValue, field: field, "props key '\(key)' appears twice") }
                switch props.values[i] {
                case .string(let text):
                    if let length = Self.length(text, within: limits.maxPropStringLength) {
                        throw EventRejection(.tooLong, field: field, "\(field) is \(length) characters; the limit is \(limits.maxPropStringLength)")
                    }
                case .number, .bool, .null: break
                case let other:
                    throw EventRejection(.invalidType, field: field, "\(field) must be a string, number, boolean or null, got \(other.typeName)")
                }
            }
            return props
        case let other?:
            throw EventRejection(.invalidType, field: "props", "props must be an object, got \(other.typeName)")
        }
    }

    private func parseRevenue(_ value: JSONValue?) throws(EventRejection) -> Revenue? {
        switch value {
        case nil, .null?: return nil
        case .object(let object)?:
            for key in object.keys where key != "amount" && key != "currency" {
                throw EventRejection(.unknownField, field: "revenue.\(key)", "unknown field 'revenue.\(key)'; revenue takes amount and currency")
            }
            guard case .number(let amount)? = object["amount"] else {
                throw EventRejection(.invalidType, field: "revenue.amount", "revenue.amount must be a number")
            }
            // JSON cannot spell infinity or NaN, but a CSV cell can ("inf", "nan").
            guard amount.isFinite else {
                throw EventRejection(.invalidValue, field: "revenue.amount", "revenue.amount must be a finite number")
            }
            guard case .string(let currency)? = object["currency"] else {
                throw EventRejection(.missingField, field: "revenue.currency", "revenue.currency is required (ISO 4217, e.g. AUD)")
            }
            guard currency.utf8.count == 3, currency.utf8.allSatisfy({ $0 >= 0x41 && $0 <= 0x5A }) else {
                throw EventRejection(.invalidValue, field: "revenue.currency", "revenue.currency must be three upper-case letters (ISO 4217), got '\(currency.prefix(16))'")
            }
            return Revenue(amount: amount, currency: currency)
        case let other?:
            throw EventRejection(.invalidType, field: "revenue", "revenue must be an object {amount, currency}, got \(other.typeName)")
        }
    }

    @inline(__always) static func isNameByte(_ b: UInt8) -> Bool {
        switch b {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x20, 0x5F, 0x2E, 0x3A, 0x24, 0x2D, 0x2F: true
        default: false
        }
    }

    @inline(__always) public static func isSiteByte(_ b: UInt8) -> Bool {
        switch b {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x5F, 0x2E, 0x3A, 0x2D: true
        default: false
        }
    }

    @inline(__always) static func isTimezoneByte(_ b: UInt8) -> Bool {
        switch b {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x5F, 0x2F, 0x2D, 0x2B: true
        default: false
        }
    }
}
