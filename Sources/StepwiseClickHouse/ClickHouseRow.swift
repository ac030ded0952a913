import StepwiseCore
import StepwiseEngine

/// One accepted event as a `JSONEachRow` line of the events table.
///
/// Props are stored twice: as the canonical JSON (exports, erasure) and as parallel arrays
/// of key, text, kind and numeric reading, so plan conditions compare in SQL exactly as the
/// engine compares them: the numeric reading (a string such as "49" is a number) is made here,
/// by the engine's own rule, not re-derived by ClickHouse's parser.
enum ClickHouseRow {
    /// Prop kinds in `prop_kinds`.
    static let string: UInt8 = 1, number: UInt8 = 2, bool: UInt8 = 3, other: UInt8 = 4

    static func append(_ enriched: EnrichedEvent, key: String, seq: UInt64, received: Int64, into out: inout String) {
        let event = enriched.event
        out += "{\"site\":"; JSONWriter.writeString(event.site, into: &out)
        out += ",\"key\":"; JSONWriter.writeString(key, into: &out)
        out += ",\"seq\":\(seq),\"id\":"; JSONWriter.writeString(event.id ?? "", into: &out)
        out += ",\"name\":"; JSONWriter.writeString(event.name, into: &out)
        out += ",\"visitor\":"; JSONWriter.writeString(event.visitor, into: &out)
        out += ",\"user\":"; JSONWriter.writeString(event.user ?? "", into: &out)
        out += ",\"timestamp\":\(event.timestamp),\"received\":\(received),\"url\":"; JSONWriter.writeString(event.url ?? "", into: &out)
        out += ",\"referrer\":"; JSONWriter.writeString(event.referrer ?? "", into: &out)
        out += ",\"path\":"; JSONWriter.writeString(enriched.path, into: &out)
        out += ",\"props\":"; JSONWriter.writeString(enriched.propsJSON ?? "", into: &out)
        var keys = "[", values = "[", kinds = "[", numbers = "["
        var first = true
        for (name, value) in zip(event.props.keys, event.props.values) {
            let kind: UInt8
            let text: String
            switch value {
            case .null: continue
            case .string(let s): kind = string; text = s
            case .number(let n): kind = number; text = JSONWriter.formatNumber(n)
            case .bool(let b): kind = bool; text = String(b)
            default: kind = other; text = JSONWriter.write(value)
            }
            if !first { keys += ","; values += ","; kinds += ","; numbers += "," }
            first = false
            JSONWriter.writeString(name, into: &keys)
            JSONWriter.writeString(text, into: &values)
            kinds += String(kind)
            // No number: NaN, which every comparison in SQL finds false, as the engine's nil
            // (quoted: JSONEachRow reads a bare nan as a misspelt null).
            numbers += PropPredicate.number(value).map { "\($0)" } ?? "\"nan\""
        }
        out += ",\"prop_keys\":" + keys + "],\"prop_values\":" + values + "],\"prop_kinds\":" + kinds + "],\"prop_numbers\":" + numbers + "]"
        out += ",\"revenue\":\(event.revenue.map { "\($0.amount)" } ?? "0"),\"currency\":"; JSONWriter.writeString(event.revenue?.currency ?? "", into: &out)
        out += ",\"user_agent\":"; JSONWriter.writeString(event.userAgent ?? "", into: &out)
        out += ",\"timezone\":"; JSONWriter.writeString(event.timezone ?? "", into: &out)
        out += ",\"region\":"; JSONWriter.writeString(enriched.region, into: &out)
        out += ",\"source\":"; JSONWriter.writeString(enriched.traffic.source, into: &out)
        out += ",\"medium\":"; JSONWriter.writeString(enriched.traffic.medium, into: &out)
        out += ",\"campaign\":"; JSONWriter.writeString(enriched.traffic.campaign, into: &out)
        out += ",\"channel\":\(enriched.traffic.channel.rawValue),\"device\":\(enriched.device.rawValue),\"browser\":\(enriched.browser.rawValue)"
        out += ",\"os\":\(enriched.os.rawValue),\"bot\":\(enriched.botSignal.rawValue),\"click_ids\":"
        JSONWriter.writeString(enriched.clickIDsJSON ?? "", into: &out)
        out += "}\n"
    }

    /// A visitor→user link of the identities table.
    static func appendIdentity(site: String, visitor: String, user: String, seq: UInt64, into out: inout String) {
        out += "{\"site\":"; JSONWriter.writeString(site, into: &out)
        out += ",\"visitor\":"; JSONWriter.writeString(visitor, into: &out)
        out += ",\"user\":"; JSONWriter.writeString(user, into: &out)
        out += ",\"seq\":\(seq)}\n"
    }
}
