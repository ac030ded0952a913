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

    /// Where a row's key comes from: the event's id, or (no id) the node and the row's seq.
    enum Key {
        case id(String)
        case node(String)
    }

    /// Written straight into bytes, literals and integers included: this runs for every event
    /// a scaled-out node accepts, and building `String`s for it cost a third of the node's time.
    static func append(_ enriched: EnrichedEvent, key: Key, seq: UInt64, received: Int64, into out: inout [UInt8]) {
        let event = enriched.event
        out.write("{\"site\":"); JSONWriter.writeString(event.site, into: &out)
        switch key {
        case .id(let id):
            out.write(",\"key\":\"i:"); JSONWriter.writeStringBody(id, into: &out)
        case .node(let node):
            out.write(",\"key\":\"n:"); JSONWriter.writeStringBody(node, into: &out); out.append(0x3A); out.write(integer: seq)
        }
        out.write("\",\"seq\":"); out.write(integer: seq)
        out.write(",\"id\":"); JSONWriter.writeString(event.id ?? "", into: &out)
        out.write(",\"name\":"); JSONWriter.writeString(event.name, into: &out)
        out.write(",\"visitor\":"); JSONWriter.writeString(event.visitor, into: &out)
        out.write(",\"user\":"); JSONWriter.writeString(event.user ?? "", into: &out)
        out.write(",\"timestamp\":"); out.write(integer: event.timestamp)
        out.write(",\"received\":"); out.write(integer: received)
        out.write(",\"url\":"); JSONWriter.writeString(event.url ?? "", into: &out)
        out.write(",\"referrer\":"); JSONWriter.writeString(event.referrer ?? "", into: &out)
        out.write(",\"path\":"); JSONWriter.writeString(enriched.path, into: &out)
        out.write(",\"props\":"); JSONWriter.writeString(enriched.propsJSON ?? "", into: &out)
        appendProps(event.props, into: &out)
        out.write(",\"revenue\":")
        if let revenue = event.revenue { out.write("\(revenue.amount)") } else { out.append(0x30) }
        out.write(",\"currency\":"); JSONWriter.writeString(event.revenue?.currency ?? "", into: &out)
        out.write(",\"user_agent\":"); JSONWriter.writeString(event.userAgent ?? "", into: &out)
        out.write(",\"timezone\":"); JSONWriter.writeString(event.timezone ?? "", into: &out)
        out.write(",\"region\":"); JSONWriter.writeString(enriched.region, into: &out)
        out.write(",\"source\":"); JSONWriter.writeString(enriched.traffic.source, into: &out)
        out.write(",\"medium\":"); JSONWriter.writeString(enriched.traffic.medium, into: &out)
        out.write(",\"campaign\":"); JSONWriter.writeString(enriched.traffic.campaign, into: &out)
        out.write(",\"channel\":"); out.write(integer: enriched.traffic.channel.rawValue)
        out.write(",\"device\":"); out.write(integer: enriched.device.rawValue)
        out.write(",\"browser\":"); out.write(integer: enriched.browser.rawValue)
        out.write(",\"os\":"); out.write(integer: enriched.os.rawValue)
        out.write(",\"bot\":"); out.write(integer: enriched.botSignal.rawValue)
        out.write(",\"click_ids\":"); JSONWriter.writeString(enriched.clickIDsJSON ?? "", into: &out)
        out.write("}\n")
    }

    /// The parallel prop arrays, one pass each (no scratch arrays per event).
    private static func appendProps(_ props: JSONObject, into out: inout [UInt8]) {
        out.write(",\"prop_keys\":[")
        for (i, name) in props.keys.enumerated() {
            if i > 0 { out.append(0x2C) }
            JSONWriter.writeString(name, into: &out)
        }
        out.write("],\"prop_values\":[")
        for (i, value) in props.values.enumerated() {
            if i > 0 { out.append(0x2C) }
            switch value {
            case .null: out.write("\"null\"")
            case .string(let s): JSONWriter.writeString(s, into: &out)
            case .number(let n): JSONWriter.writeString(JSONWriter.formatNumber(n), into: &out)
            case .bool(let b): out.write(b ? "\"true\"" : "\"false\"")
            case .array, .object: JSONWriter.writeString(JSONWriter.write(value), into: &out)
            }
        }
        out.write("],\"prop_kinds\":[")
        for (i, value) in props.values.enumerated() {
            if i > 0 { out.append(0x2C) }
            out.append(0x30 + kind(of: value))   // one digit: kinds are 1 to 6
        }
        out.write("],\"prop_numbers\":[")
        for (i, value) in props.values.enumerated() {
            if i > 0 { out.append(0x2C) }
            // No number: NaN, which every comparison in SQL finds false, as the engine's nil
            // (quoted: JSONEachRow reads a bare nan as a misspelt null).
            if let number = PropPredicate.number(value) { out.write("\(number)") } else { out.write("\"nan\"") }
        }
        out.write("]")
    }

    private static func kind(of value: JSONValue) -> UInt8 {
        switch value {
        case .null: null
        case .string: string
        case .number: number
        case .bool: bool
        case .array: array
        case .object: object
        }
    }

    /// A visitor→user link of the identities table.
    static func appendIdentity(site: String, visitor: String, user: String, seq: UInt64, into out: inout [UInt8]) {
        out.write("{\"site\":"); JSONWriter.writeString(site, into: &out)
        out.write(",\"visitor\":"); JSONWriter.writeString(visitor, into: &out)
        out.write(",\"user\":"); JSONWriter.writeString(user, into: &out)
        out.write(",\"seq\":"); out.write(integer: seq); out.write("}\n")
    }
}

extension [UInt8] {
    /// Appends text as it is (numbers of a row).
    mutating func write(_ text: String) {
        var text = text
        text.withUTF8 { append(contentsOf: $0) }
    }

    /// Appends a literal as it is.
    mutating func write(_ literal: StaticString) {
        literal.withUTF8Buffer { append(contentsOf: $0) }
    }

    /// Appends an integer's decimal digits without making a `String` of it.
    mutating func write(integer: some BinaryInteger) {
        if integer < 0 { append(0x2D) }
        var magnitude = integer.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)   // 24 bytes: room for any 64-bit integer
        Swift.withUnsafeMutableBytes(of: &digits) { buffer in
            var start = buffer.count
            repeat {
                start -= 1
                buffer[start] = 0x30 + UInt8(truncatingIfNeeded: magnitude % 10)
                magnitude /= 10
            } while magnitude != 0
            append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[start...]))
        }
    }
}
