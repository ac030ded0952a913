import StepwiseCore
import StepwisePlan

/// A plan's `when:` compiled against one table's dictionaries.
///
/// The event-level conditions are decided once per distinct value, not once per event:
/// path globs over the table's path dictionary up front, URL, referrer and props verdicts
/// memoised per string id as the scan meets them. Each worker of a scan owns its copy.
struct CompiledMatcher {
    /// Local name code the event must have; `nil` matches any name.
    let nameCode: UInt32?
    /// Verdict per path code; nil when the rule has no path condition.
    let pathVerdict: [Bool]?
    private let url: Glob?
    private let referrer: Glob?
    private let props: [PropPredicate]
    let nthInSession: Int?
    let returnedWithinMillis: Int64?
    /// False when the rule names an event the table has never seen: it matches nothing.
    let canMatch: Bool

    private var urlMemo: [UInt32: Bool] = [:]
    private var referrerMemo: [UInt32: Bool] = [:]
    private var propsMemo: [UInt32: Bool] = [:]

    init(_ matcher: EventMatcher, table: EventTable) {
        var canMatch = true
        if let event = matcher.event {
            let code = table.nameCode(event)
            canMatch = code != nil
            nameCode = code
        } else {
            nameCode = nil
        }
        self.canMatch = canMatch
        pathVerdict = matcher.path.map { glob in table.pathDictionary.map { glob.matches(table.strings[Int($0)]) } }
        url = matcher.url
        referrer = matcher.referrer
        props = matcher.props.map(PropPredicate.init)
        nthInSession = matcher.nthInSession
        returnedWithinMillis = matcher.returnedWithinMillis
    }

    /// The event-level conditions (everything but name, which the scan's candidate lists
    /// already checked, and the two behavioural conditions).
    @inline(__always)
    mutating func matchesDetails(_ i: Int, in table: EventTable) -> Bool {
        if let pathVerdict, !pathVerdict[Int(table.path[i])] { return false }
        // An event without a URL or referrer matches no glob on it.
        if let url, table.url[i] == 0 || !Self.memoised(&urlMemo, table.url[i], table, { url.matches($0) }) { return false }
        if let referrer, table.referrer[i] == 0 || !Self.memoised(&referrerMemo, table.referrer[i], table, { referrer.matches($0) }) {
            return false
        }
        if !props.isEmpty {
            let props = self.props
            let verdict = Self.memoised(&propsMemo, table.props[i], table) { text in
                let object = PropsCache.object(text)
                return props.allSatisfy { $0.isSatisfied(by: object) }
            }
            if !verdict { return false }
        }
        return true
    }

    /// Decides a string id once. Id 0 is the empty string: props without any property.
    private static func memoised(_ memo: inout [UInt32: Bool], _ id: UInt32, _ table: EventTable, _ decide: (String) -> Bool) -> Bool {
        if let known = memo[id] { return known }
        let verdict = decide(table.strings[Int(id)])
        memo[id] = verdict
        return verdict
    }
}

/// Props JSON text → object; the store writes canonical JSON objects, anything else is empty.
enum PropsCache {
    static func object(_ text: String) -> JSONObject {
        guard !text.isEmpty, case .object(let object)? = try? JSONParser.parse(text) else { return JSONObject() }
        return object
    }
}
