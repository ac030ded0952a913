/// Maps CSV records with a header naming canonical fields to event JSON objects, so CSV
/// imports go through exactly the same validation as the API.
///
/// Columns: the canonical fields (`revenue` is the amount, `currency` its currency,
/// `props` a JSON object), plus `props.KEY` / `prop.KEY` columns for single properties,
/// whose cells become numbers or booleans when they read as such. Empty cells are absent.
public struct CSVEventMapper: Sendable {
    public struct HeaderError: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
    }

    enum Column: Sendable {
        case field(String)
        case revenueAmount
        case currency
        case propsJSON
        case prop(String)
    }

    let columns: [Column]

    public init(header: [String]) throws(HeaderError) {
        var columns: [Column] = []
        for raw in header {
            let name = raw.trimmingSpaces
            if name == "revenue" { columns.append(.revenueAmount) }
            else if name == "currency" { columns.append(.currency) }
            else if name == "props" { columns.append(.propsJSON) }
            else if name.hasPrefix("props.") { columns.append(.prop(String(name.dropFirst(6)))) }
            else if name.hasPrefix("prop.") { columns.append(.prop(String(name.dropFirst(5)))) }
            else if EventValidator.knownFields.contains(name) { columns.append(.field(name)) }
            else {
                throw HeaderError(description: "unknown CSV column '\(name)'; use canonical fields (site, event, visitor, timestamp, …), props, or props.KEY")
            }
        }
        for required in ["site", "event"] where !columns.contains(where: { if case .field(let f) = $0 { f == required } else { false } }) {
            throw HeaderError(description: "CSV header lacks the required column '\(required)'")
        }
        self.columns = columns
    }

    /// The event object for one record, or a rejection naming the column.
    public func object(_ fields: [String]) -> Result<JSONValue, EventRejection> {
        guard fields.count == columns.count else {
            return .failure(EventRejection(.invalidValue, field: nil, "record has \(fields.count) fields; the header has \(columns.count)"))
        }
        var object = JSONObject()
        var props = JSONObject()
        var revenue = JSONObject()
        for (column, cell) in zip(columns, fields) where !cell.isEmpty {
            switch column {
            case .field(let name):
                if name == "timestamp", cell.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let millis = Double(cell) {
                    object.append(name, .number(millis))
                } else if name == "webdriver" {
                    object.append(name, .bool(cell == "true" || cell == "1"))
                } else {
                    object.append(name, .string(cell))
                }
            case .revenueAmount:
                guard let amount = Double(cell) else {
                    return .failure(EventRejection(.invalidType, field: "revenue", "revenue must be a number, got '\(cell.prefix(32))'"))
                }
                revenue.append("amount", .number(amount))
            case .currency:
                revenue.append("currency", .string(cell))
            case .propsJSON:
                guard case .object(let parsed)? = try? JSONParser.parse(cell) else {
                    return .failure(EventRejection(.invalidType, field: "props", "props must hold a JSON object"))
                }
                for i in parsed.keys.indices { props.append(parsed.keys[i], parsed.values[i]) }
            case .prop(let key):
                props.append(key, Self.scalar(cell))
            }
        }
        if props.count > 0 { object.append("props", .object(props)) }
        if revenue.count > 0 { object.append("revenue", .object(revenue)) }
        return .success(.object(object))
    }

    static func scalar(_ cell: String) -> JSONValue {
        if cell == "true" { return .bool(true) }
        if cell == "false" { return .bool(false) }
        if let number = Double(cell), number.isFinite, cell.first != "+", !cell.hasPrefix("0") || cell == "0" || cell.hasPrefix("0.") {
            return .number(number)
        }
        return .string(cell)
    }
}

extension String {
    var trimmingSpaces: String {
        var text = Substring(self)
        while text.first == " " || text.first == "\u{FEFF}" { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return String(text)
    }
}
