import StepwiseCore
import StepwisePlan

/// A definition's event-level `when:` over global string ids, for counting rows as they
/// arrive (before any table is built). Each distinct name, path, URL, referrer or props id
/// is decided once. The behavioural conditions (`nth_in_session`, `returned_within`) need a
/// person's timeline, so volumes count every event that passes the event-level conditions.
struct RowMatcher: Sendable {
    let matcher: EventMatcher
    private let props: [PropPredicate]
    private var nameMemo: [UInt32: Bool] = [:]
    private var pathMemo: [UInt32: Bool] = [:]
    private var urlMemo: [UInt32: Bool] = [:]
    private var referrerMemo: [UInt32: Bool] = [:]
    private var propsMemo: [UInt32: Bool] = [:]

    init(_ matcher: EventMatcher) {
        self.matcher = matcher
        props = matcher.props.map(PropPredicate.init)
    }

    /// Whether an event with these string ids matches; `strings` resolves the ids.
    mutating func matches(name: UInt32, path: UInt32, url: UInt32, referrer: UInt32, props propsID: UInt32, strings: [String]) -> Bool {
        if let event = matcher.event, !Self.decide(&nameMemo, name, strings, { $0 == event }) { return false }
        if let glob = matcher.path, !Self.decide(&pathMemo, path, strings, glob.matches) { return false }
        if let glob = matcher.url, url == 0 || !Self.decide(&urlMemo, url, strings, glob.matches) { return false }
        if let glob = matcher.referrer, referrer == 0 || !Self.decide(&referrerMemo, referrer, strings, glob.matches) { return false }
        if !props.isEmpty {
            let predicates = props
            let verdict = Self.decide(&propsMemo, propsID, strings) { text in
                let object = PropsCache.object(text)
                return predicates.allSatisfy { $0.isSatisfied(by: object) }
            }
            if !verdict { return false }
        }
        return true
    }

    private static func decide(_ memo: inout [UInt32: Bool], _ id: UInt32, _ strings: [String], _ rule: (String) -> Bool) -> Bool {
        if let known = memo[id] { return known }
        let verdict = Int(id) < strings.count && rule(strings[Int(id)])
        // Props ids are nearly unique per event: forget them now and then rather than grow forever.
        if memo.count > 50_000 { memo.removeAll(keepingCapacity: true) }
        memo[id] = verdict
        return verdict
    }
}
