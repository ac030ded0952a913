/// One thing a visitor did on a site, validated against the limits of SPEC §3.
public struct CanonicalEvent: Sendable, Equatable {
    /// Client-chosen id that makes retries idempotent within a site.
    public var id: String?
    public var site: String
    public var name: String
    public var visitor: String
    public var user: String?
    /// Milliseconds since the Unix epoch, UTC.
    public var timestamp: Int64
    public var url: String?
    public var referrer: String?
    /// Scalar properties in the order the sender wrote them.
    public var props: JSONObject
    public var revenue: Revenue?
    public var userAgent: String?
    public var timezone: String?
    /// `navigator.webdriver` as reported by the tracker: automation, so a bot signal.
    public var webdriver: Bool

    public init(
        id: String? = nil, site: String, name: String, visitor: String, user: String? = nil,
        timestamp: Int64, url: String? = nil, referrer: String? = nil, props: JSONObject = JSONObject(),
        revenue: Revenue? = nil, userAgent: String? = nil, timezone: String? = nil, webdriver: Bool = false
    ) {
        self.id = id
        self.site = site
        self.name = name
        self.visitor = visitor
        self.user = user
        self.timestamp = timestamp
        self.url = url
        self.referrer = referrer
        self.props = props
        self.revenue = revenue
        self.userAgent = userAgent
        self.timezone = timezone
        self.webdriver = webdriver
    }

    /// The canonical JSON form (SPEC §3), used by export and round-trip tests.
    public var json: JSONValue {
        var object = JSONObject()
        if let id { object.append("id", .string(id)) }
        object.append("site", .string(site))
        object.append("event", .string(name))
        object.append("visitor", .string(visitor))
        if let user { object.append("user", .string(user)) }
        object.append("timestamp", .string(Timestamp.formatRFC3339(timestamp)))
        if let url { object.append("url", .string(url)) }
        if let referrer { object.append("referrer", .string(referrer)) }
        if props.count > 0 { object.append("props", .object(props)) }
        if let revenue {
            object.append("revenue", .object(JSONObject(keys: ["amount", "currency"], values: [.number(revenue.amount), .string(revenue.currency)])))
        }
        if let userAgent { object.append("user_agent", .string(userAgent)) }
        if let timezone { object.append("timezone", .string(timezone)) }
        if webdriver { object.append("webdriver", .bool(true)) }
        return .object(object)
    }
}

/// Money attached to an event (a purchase), in an ISO 4217 currency.
public struct Revenue: Sendable, Equatable {
    public var amount: Double
    public var currency: String

    public init(amount: Double, currency: String) {
        self.amount = amount
        self.currency = currency
    }
}
