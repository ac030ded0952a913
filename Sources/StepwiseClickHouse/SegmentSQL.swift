import StepwisePlan

/// A report's date range and segments as SQL, scoped as the engine scopes them
/// (`CompiledSegments`): device, browser, OS, region and props judge each event; channel and
/// landing page judge a session by its first event; visitor type by whether it is the
/// person's first session. Contradictory segments keep nothing, as there.
struct SegmentSQL {
    var from: Int64?
    var to: Int64?
    var segments: [Segment]

    /// Over one events row: 1 when the range and the event-scoped segments keep it.
    var eventKept: String {
        var keep: [String] = []
        if let from { keep.append("timestamp >= \(from)") }
        if let to { keep.append("timestamp < \(to)") }
        for segment in segments {
            switch segment.dimension {
            case .channel, .landingPage, .visitorType: break
            case .device: keep.append("device = \(segment.code!)")
            case .browser: keep.append("browser = \(segment.code!)")
            case .os: keep.append("os = \(segment.code!)")
            case .region: keep.append("lowerUTF8(region) = lowerUTF8(\(SQL.quote(segment.value)))")
            case .prop(let key): keep.append(MatcherSQL.equal(key, .string(segment.value)))
            }
        }
        return Self.flag(keep)
    }

    /// Over one events row: 1 when the session-scoped segments keep a session it opens.
    var sessionKept: String {
        Self.flag(segments.compactMap { segment in
            switch segment.dimension {
            case .channel: "channel = \(segment.code!)"
            case .landingPage: "match(path, \(SQL.quote(segment.glob!.regularExpression)))"
            default: nil
            }
        })
    }

    /// The visitor-type segments over an event's session number (1: the person's first),
    /// each as ` AND …` (first session: new).
    func visitorType(session: String) -> String {
        segments.filter { $0.dimension == .visitorType }.map { " AND \(session) \($0.value == "new" ? "=" : "!=") 1" }.joined()
    }

    private static func flag(_ conditions: [String]) -> String {
        conditions.isEmpty ? "toUInt8(1)" : "toUInt8(\(conditions.joined(separator: " AND ")))"
    }
}
