import Foundation

/// A site the server accepts events for (`stepwise site add`), with what the compatible
/// endpoints need to route events to it: its write keys and GA4 stream.
public struct SiteSettings: Sendable, Equatable, Codable {
    public var name: String
    public var timezone: String?
    /// Browser origins allowed to send its events (CORS).
    public var origins: [String] = []
    public var writeKey: String?
    /// Segment's write key (basic-auth user on `/v1/*`).
    public var segmentWriteKey: String?
    /// GA4 Measurement Protocol: `measurement_id` and `api_secret` of the stream.
    public var ga4MeasurementID: String?
    public var ga4APISecret: String?

    public init(name: String) { self.name = name }

    /// The first field that is not acceptable, with why; nil when all are.
    public func problem() -> (field: String, reason: String)? {
        if name.isEmpty || name.utf8.count > 255 || !name.utf8.allSatisfy(EventValidator.isSiteByte) {
            return ("name", "'\(name)' is not a site name: letters, digits and . - _ : only, at most 255")
        }
        if let timezone, TimeZone(identifier: timezone) == nil { return ("timezone", "'\(timezone)' is not an IANA time zone such as Europe/Berlin") }
        for origin in origins {
            guard let url = URL(string: origin), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil,
                  url.path.isEmpty || url.path == "/" else {
                return ("origins", "'\(origin)' is not an origin such as https://shop.example")
            }
        }
        for (field, key) in [("write_key", writeKey), ("segment_write_key", segmentWriteKey), ("ga4_api_secret", ga4APISecret)] {
            if let key, key.count < 8 || key.count > 200 { return (field, "must be 8 to 200 characters") }
        }
        if (ga4MeasurementID == nil) != (ga4APISecret == nil) { return ("ga4_measurement_id", "give both ga4_measurement_id and ga4_api_secret") }
        if let id = ga4MeasurementID, id.isEmpty || id.count > 50 { return ("ga4_measurement_id", "must be 1 to 50 characters, e.g. G-ABC123") }
        return nil
    }
}
