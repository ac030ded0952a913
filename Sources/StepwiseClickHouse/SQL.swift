import StepwiseCore

/// Literals for generated SQL: every value a user or sender wrote goes through here.
enum SQL {
    /// A single-quoted string literal; backslash and quote escaped as ClickHouse reads them.
    static func quote(_ text: String) -> String {
        var out = "'"
        for c in text.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "'": out += "\\'"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\0": out += "\\0"
            default: out.unicodeScalars.append(c)
            }
        }
        return out + "'"
    }

    /// A Float64 literal that reads back as the same double (17 significant digits).
    static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return "toFloat64(\(Int64(value)))" }
        return "toFloat64(\(value.description))"
    }

    /// A Float64 that is exactly `value`: whole numbers as written, others from their bits
    /// (a decimal literal may be read back one ulp off).
    static func exact(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return "toFloat64(\(Int64(value)))" }
        let bytes = withUnsafeBytes(of: value.bitPattern.littleEndian) { $0.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined() }
        return "reinterpretAsFloat64(unhex('\(bytes)'))"
    }

    /// A sorted sample array as `OrderStatistics`: its length, then the values at the ranks the
    /// engine's median and 90th percentile interpolate between (`Quantile.ranks`).
    static func orderStatistics(_ sorted: String) -> String {
        let count = "toInt64(length(\(sorted)))"
        let ranks = [0.5, 0.9].flatMap { q in
            let low = "toInt64(floor((\(count) - 1) * \(q)))"
            return [low, "least(\(low) + 1, \(count) - 1)"]
        }
        return "length(\(sorted)), arrayMap(r -> \(sorted)[r + 1], [\(ranks.joined(separator: ", "))])"
    }

    /// The local day number (days since 1970-01-01) of a time in milliseconds, in `calendar`'s zone.
    static func localDay(_ t: String, _ calendar: LocalCalendar) -> String {
        calendar.identifier == "UTC"
            ? "intDiv(\(t), 86400000)"
            : "toInt64(toUInt32(toDate(toDateTime(intDiv(\(t), 1000)), \(quote(calendar.identifier)))))"
    }
}

extension JSONValue {
    var number: Double? { if case .number(let n) = self { n } else { nil } }
    var string: String? { if case .string(let s) = self { s } else { nil } }
}
