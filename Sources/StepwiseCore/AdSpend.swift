import Foundation

/// One day's cost of a channel or campaign, imported from an ad platform's export so reports
/// can say what a micro, a macro or a person cost (SPEC §4.6).
public struct AdSpend: Sendable, Equatable, Codable {
    /// The site's local day, `YYYY-MM-DD`.
    public var date: String
    /// A channel of the default grouping (`Channel.description`), so spend joins the
    /// channels reports show.
    public var channel: String
    /// Empty for spend booked to the channel as a whole.
    public var campaign: String
    public var cost: Double
    public var currency: String

    public init(date: String, channel: String, campaign: String, cost: Double, currency: String) {
        self.date = date
        self.channel = channel
        self.campaign = campaign
        self.cost = cost
        self.currency = currency
    }

    /// Days since the epoch of `date`.
    public var day: Int64 { (Timestamp.parseDateOrTimestamp(date) ?? 0) / 86_400_000 }

    /// A CSV line that cannot be imported: where and why.
    public struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        public var line: Int
        public var field: String
        public var reason: String
        public var description: String { "line \(line): \(field): \(reason)" }

        public init(line: Int, field: String, reason: String) {
            self.line = line
            self.field = field
            self.reason = reason
        }
    }

    public static let columns = ["date", "channel", "campaign", "cost", "currency"]

    /// Rows of a spend CSV: a header naming `date, channel, campaign, cost, currency` (any
    /// order, any case), then one row per day, channel and campaign. The whole file is
    /// refused on the first bad row, so an import never stores half a file.
    public static func parseCSV(_ text: String) throws(Invalid) -> [AdSpend] {
        let records: [CSVReader.Record]
        do { records = try CSVReader.records(text) } catch { throw Invalid(line: error.line, field: "csv", reason: "unterminated quoted field") }
        guard let header = records.first else { throw Invalid(line: 1, field: "csv", reason: "the file is empty; expected a header \(columns.joined(separator: ","))") }
        let names = header.fields.map { $0.trimmed.lowercased() }
        var position: [String: Int] = [:]
        for column in columns {
            guard let index = names.firstIndex(of: column) else {
                throw Invalid(line: header.line, field: column, reason: "missing column; the header needs \(columns.joined(separator: ","))")
            }
            position[column] = index
        }
        var rows: [AdSpend] = []
        var seen: [String: Int] = [:]
        for record in records.dropFirst() {
            func field(_ name: String) -> String {
                let index = position[name]!
                return index < record.fields.count ? record.fields[index].trimmed : ""
            }
            let line = record.line
            let date = field("date")
            guard date.utf8.count == 10, let millis = Timestamp.parseDateOrTimestamp(date) else {
                throw Invalid(line: line, field: "date", reason: "'\(date)' is not a date (YYYY-MM-DD)")
            }
            guard let channel = Channel(spendName: field("channel")) else {
                throw Invalid(line: line, field: "channel", reason: "'\(field("channel"))' is not a channel; use one of \(Channel.allCases.map(\.description).joined(separator: ", "))")
            }
            guard let cost = Double(field("cost")), cost.isFinite, cost >= 0 else {
                throw Invalid(line: line, field: "cost", reason: "'\(field("cost"))' is not an amount of zero or more")
            }
            let currency = field("currency").uppercased()
            guard currency.utf8.count == 3, currency.utf8.allSatisfy({ (65...90).contains($0) }) else {
                throw Invalid(line: line, field: "currency", reason: "'\(field("currency"))' is not a three-letter currency code")
            }
            if let other = rows.first?.currency, other != currency {
                throw Invalid(line: line, field: "currency", reason: "\(currency) differs from \(other) above; import one currency per site")
            }
            let row = AdSpend(date: LocalCalendar.format(day: millis / 86_400_000), channel: channel.description,
                              campaign: field("campaign"), cost: cost, currency: currency)
            let key = "\(row.date)|\(row.channel)|\(row.campaign)"
            if let earlier = seen[key] {
                throw Invalid(line: line, field: "date", reason: "repeats line \(earlier) (same date, channel and campaign)")
            }
            seen[key] = line
            rows.append(row)
        }
        guard !rows.isEmpty else { throw Invalid(line: header.line, field: "csv", reason: "no rows after the header") }
        return rows
    }
}

extension Channel {
    /// A channel as ad exports spell it: its name in any case, or snake_case (`paid_search`).
    public init?(spendName: String) {
        let wanted = spendName.lowercased().replacingOccurrences(of: "_", with: " ")
        guard let match = Channel.allCases.first(where: { $0.description.lowercased() == wanted }) else { return nil }
        self = match
    }
}

private extension String {
    var trimmed: String { trimmingCharacters(in: .whitespaces) }
}
