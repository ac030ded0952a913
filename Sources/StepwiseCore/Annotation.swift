import Foundation

/// A dated note on a site's timeline (a deploy, a campaign launch) that explains a change
/// in the numbers: shown on charts and beside the anomalies that start near it.
public struct Annotation: Sendable, Equatable, Codable {
    public static let kinds = ["deploy", "campaign", "incident", "tracking", "note"]
    public static let maxTextLength = 500

    public var id: Int64
    public var site: String
    /// When it happened (ms since the Unix epoch).
    public var at: Int64
    public var kind: String
    public var text: String

    public init(id: Int64 = 0, site: String, at: Int64, kind: String, text: String) {
        self.id = id
        self.site = site
        self.at = at
        self.kind = kind
        self.text = text
    }

    /// The reason a field of a new annotation is refused, or nil when it is fine.
    public static func problem(kind: String, text: String) -> (field: String, reason: String)? {
        if !kinds.contains(kind) { return ("kind", "'\(kind)' is not one of \(kinds.joined(separator: ", "))") }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { return ("text", "is required") }
        if text.count > maxTextLength { return ("text", "is longer than \(maxTextLength) characters") }
        return nil
    }
}

/// How many events of a site arrived on a UTC day with one outcome: `accepted`,
/// `duplicate`, or the rejection code.
public struct IngestTally: Sendable, Equatable, Codable {
    public var day: String
    public var code: String
    public var count: Int

    public init(day: String, code: String, count: Int) {
        self.day = day
        self.code = code
        self.count = count
    }
}
