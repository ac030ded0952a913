import StepwiseCore
import StepwiseEngine

/// One accepted event as a `JSONEachRow` line of the events table.
///
/// Props are stored twice: as the canonical JSON (exports, erasure) and as parallel arrays
/// of key, text, kind and numeric reading, so plan conditions compare in SQL exactly as the
/// engine compares them: the numeric reading (a string such as "49" is a number) is made here,
/// by the engine's own rule, not re-derived by ClickHouse's parser.
enum ClickHouseRow {
    /// Prop kinds in `prop_kinds` (0 reads back for an absent key). A null is stored with its
    /// own kind, which no condition but `ne` accepts, as in the engine; prop-type drift tells
    /// every JSON type apart.
    static let string: UInt8 = 1, number: UInt8 = 2, bool: UInt8 = 3, array: UInt8 = 4, object: UInt8 = 5, null: UInt8 = 6

    /// The JSON type name of a stored kind, as `JSONValue.typeName` names it.
    static func typeName(kind: UInt8) -> String? {
        switch kind {
        case string: "string"
        case number: "number"
        case bool: "boolean"
        case array: "array"
        case object: "object"
        case null: "null"
        default: nil
        }
    }

    static func append(_ enriched: EnrichedEvent, key: String, seq: UInt64, received: Int64, into out: inout [UInt8]) {
        let event = enriched.event
        out.write("{\"site\":"); JSONWriter.writeString(event.site, into: &out)
        out.write(",\"key\":"); JSONWriter.writeString(key, into: &out)
        out.write(",\"seq\":\(seq),\"id\":"); JSONWriter.writeString(event.id ?? "", into: &out)
        out.write(",\"name\":"); JSONWriter.writeString(event.name, into: &out)
        out.write(",\"visitor\":"); JSONWriter.writeString(event.visitor, into: &out)
        out.write(",\"user\":"); JSONWriter.writeString(event.user ?? "", into: &out)
        out.write(",\"timestamp\":\(event.timestamp),\"received\":\(received),\"url\":"); JSONWriter.writeString(event.url ?? "", into: &out)
        out.write(",\"referrer\":"); JSONWriter.writeString(event.referrer ?? "", into: &out)
        out.write(",\"path\":"); JSONWriter.writeString(enriched.path, into: &out)
        out.write(",\"props\":"); JSONWriter.writeString(enriched.propsJSON ?? "", into: &out)
        var keys: [UInt8] = [0x5B], values: [UInt8] = [0x5B], kinds: [UInt8] = [0x5B], numbers: [UInt8] = [0x5B]
        var first = true
        for (name, value) in zip(event.props.keys, event.props.values) {
            let kind: UInt8
            let text: String
            switch value {
            case .null: kind = null; text = "null"
            case .string(let s): kind = string; text = s
            case .number(let n): kind = number; text = JSONWriter.formatNumber(n)
            case .bool(let b): kind = bool; text = String(b)
            case .array: kind = array; text = JSONWriter.write(value)
            case .object: kind = object; text = JSONWriter.write(value)
            }
            if !first { keys.append(0x2C); values.append(0x2C); kinds.append(0x2C); numbers.append(0x2C) }
            first = false
            JSONWriter.writeString(name, into: &keys)
            JSONWriter.writeString(text, into: &values)
            kinds.append(0x30 + kind)   // one digit: kinds are 1 to 6
            // No number: NaN, which every comparison in SQL finds false, as the engine's nil
            // (quoted: JSONEachRow reads a bare nan as a misspelt null).
            numbers.write(PropPredicate.number(value).map { "\($0)" } ?? "\"nan\"")
        }
        out.write(",\"prop_keys\":"); out += keys; out.write("],\"prop_values\":"); out += values
        out.write("],\"prop_kinds\":"); out += kinds; out.write("],\"prop_numbers\":"); out += numbers; out.write("]")
        out.write(",\"revenue\":\(event.revenue.map { "\($0.amount)" } ?? "0"),\"currency\":"); JSONWriter.writeString(event.revenue?.currency ?? "", into: &out)
        out.write(",\"user_agent\":"); JSONWriter.writeString(event.userAgent ?? "", into: &out)
        out.write(",\"timezone\":"); JSONWriter.writeString(event.timezone ?? "", into: &out)
        out.write(",\"region\":"); JSONWriter.writeString(enriched.region, into: &out)
        out.write(",\"source\":"); JSONWriter.writeString(enriched.traffic.source, into: &out)
        out.write(",\"medium\":"); JSONWriter.writeString(enriched.traffic.medium, into: &out)
        out.write(",\"campaign\":"); JSONWriter.writeString(enriched.traffic.campaign, into: &out)
        out.write(",\"channel\":\(enriched.traffic.channel.rawValue),\"device\":\(enriched.device.rawValue),\"browser\":\(enriched.browser.rawValue)")
        out.write(",\"os\":\(enriched.os.rawValue),\"bot\":\(enriched.botSignal.rawValue),\"click_ids\":")
        JSONWriter.writeString(enriched.clickIDsJSON ?? "", into: &out)
        out.write("}\n")
    }

    /// A visitor→user link of the identities table.
    static func appendIdentity(site: String, visitor: String, user: String, seq: UInt64, into out: inout [UInt8]) {
        out.write("{\"site\":"); JSONWriter.writeString(site, into: &out)
        out.write(",\"visitor\":"); JSONWriter.writeString(visitor, into: &out)
        out.write(",\"user\":"); JSONWriter.writeString(user, into: &out)
        out.write(",\"seq\":\(seq)}\n")
    }
}

extension [UInt8] {
    /// Appends text as it is (literals and numbers of a row).
    mutating func write(_ text: String) {
        var text = text
        text.withUTF8 { append(contentsOf: $0) }
    }
}
