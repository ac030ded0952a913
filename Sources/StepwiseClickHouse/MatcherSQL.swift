import StepwisePlan

/// Plan conditions as SQL over one row of the events table, with the engine's semantics:
/// globs anchored on path, URL and referrer (an event without a URL or referrer matches no glob
/// on it); props compared as `PropPredicate` compares them (a missing property satisfies
/// only `ne`; strings that read as numbers compare as numbers, by the reading the writer stored).
enum MatcherSQL {
    /// The event-level rule: name, path, URL, referrer, props. The behavioural conditions
    /// (`nth_in_session`, `returned_within`) are judged per person, not here.
    static func condition(_ matcher: EventMatcher) -> String {
        var parts: [String] = []
        if let event = matcher.event { parts.append("name = \(SQL.quote(event))") }
        if let path = matcher.path { parts.append("match(path, \(SQL.quote(path.regularExpression)))") }
        if let url = matcher.url { parts.append("(url != '' AND match(url, \(SQL.quote(url.regularExpression))))") }
        if let referrer = matcher.referrer { parts.append("(referrer != '' AND match(referrer, \(SQL.quote(referrer.regularExpression))))") }
        for condition in matcher.props { parts.append(prop(condition)) }
        return parts.isEmpty ? "1" : parts.joined(separator: " AND ")
    }

    /// Which of up to 64 matchers an events row matches, as a UInt64 bit set (bit `k` for
    /// `matchers[k]`; a nil matcher never matches).
    static func mask(_ matchers: [EventMatcher?]) -> String {
        let bits = matchers.enumerated().compactMap { k, m in
            m.map { "if(\(condition($0)), toUInt64(\(UInt64(1) << UInt64(k))), toUInt64(0))" }
        }
        guard let first = bits.first else { return "toUInt64(0)" }
        return bits.dropFirst().reduce(first) { "bitOr(\($0), \($1))" }
    }

    /// The prop's position in the row's arrays; 0 when absent, and every array reads its
    /// default there (kind 0: absent).
    private static func at(_ key: String) -> String { "indexOf(prop_keys, \(SQL.quote(key)))" }
    static func kind(_ key: String) -> String { "prop_kinds[\(at(key))]" }
    static func text(_ key: String) -> String { "prop_values[\(at(key))]" }
    static func numeric(_ key: String) -> String { "prop_numbers[\(at(key))]" }

    static func prop(_ condition: PropCondition) -> String {
        let key = condition.key
        switch condition.op {
        case .eq: return equal(key, condition.operand)
        case .ne: return "(\(kind(key)) = 0 OR NOT \(equal(key, condition.operand)))"
        case .gt, .gte, .lt, .lte:
            guard case .number(let bound) = condition.operand else { return "0" }
            let op = ["gt": ">", "gte": ">=", "lt": "<", "lte": "<="][condition.op.rawValue]!
            return "(\(kind(key)) IN (1, 2) AND \(numeric(key)) \(op) \(SQL.number(bound)))"
        case .in:
            guard case .list(let items) = condition.operand, !items.isEmpty else { return "0" }
            return "(" + items.map { equal(key, $0) }.joined(separator: " OR ") + ")"
        case .contains:
            guard case .string(let needle) = condition.operand else { return "0" }
            return "(\(kind(key)) = 1 AND position(\(text(key)), \(SQL.quote(needle))) > 0)"
        case .matches:
            guard case .string(let pattern) = condition.operand else { return "0" }
            return "(\(kind(key)) = 1 AND match(\(text(key)), \(SQL.quote(pattern))))"
        }
    }

    /// `PropPredicate.equal`: same kind and value; a string operand equals a number that it
    /// reads as, and a boolean written as `true`/`false`.
    static func equal(_ key: String, _ operand: PropCondition.Operand) -> String {
        switch operand {
        case .string(let s):
            var alternatives = ["(\(kind(key)) IN (1, 3) AND \(text(key)) = \(SQL.quote(s)))"]
            if let number = Double(s), number.isFinite {
                alternatives.append("(\(kind(key)) = 2 AND \(numeric(key)) = \(SQL.number(number)))")
            }
            return "(" + alternatives.joined(separator: " OR ") + ")"
        case .number(let number):
            return "(\(kind(key)) IN (1, 2) AND \(numeric(key)) = \(SQL.number(number)))"
        case .bool(let flag):
            return "(\(kind(key)) = 3 AND \(text(key)) = '\(flag)')"
        case .list:
            return "0"
        }
    }
}
