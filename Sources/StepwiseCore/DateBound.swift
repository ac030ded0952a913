/// Parses the `from` / `to` bounds of a report.
///
/// A date (`2026-11-02`) is a whole day of the site's calendar (UTC when it has none):
/// `from` starts at its midnight and `to` includes it (the bound becomes the next midnight),
/// as analysts read "from 1st to 7th".
/// A full RFC 3339 timestamp is taken as is (`to` exclusive).
public enum DateBound {
    public struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        public var field: String
        public var value: String
        public var reason = "is not a date (YYYY-MM-DD) or an RFC 3339 timestamp"
        public var description: String { "\(field) '\(value)' \(reason)" }
    }

    public static func parse(from: String?, to: String?, calendar: LocalCalendar = .utc) throws(Invalid) -> (from: Int64?, to: Int64?) {
        var start: Int64?
        var end: Int64?
        if let from {
            guard let value = Timestamp.parseDateOrTimestamp(from) else { throw Invalid(field: "from", value: from) }
            start = from.utf8.count == 10 ? calendar.start(ofDay: value / 86_400_000) : value
        }
        if let to {
            guard let value = Timestamp.parseDateOrTimestamp(to) else { throw Invalid(field: "to", value: to) }
            end = to.utf8.count == 10 ? calendar.start(ofDay: value / 86_400_000 + 1) : value
        }
        if let start, let end, start >= end, let to {
            throw Invalid(field: "to", value: to, reason: "ends before the range starts")
        }
        return (start, end)
    }
}
