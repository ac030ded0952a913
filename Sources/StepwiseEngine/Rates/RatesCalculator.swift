import Dispatch
import Foundation
import StepwiseCore
import StepwisePlan
import Synchronization

/// Computes a `RatesReport` in one pass over the site's persons, split across the cores.
///
/// Each person's run is walked in time order with sessions split on the plan's timeout, so
/// count rules (`once_per_session`, `once_per_person`) and the behavioural conditions
/// (`nth_in_session`, `returned_within`) see the whole history, while only events inside the
/// range and the segments are counted.
public enum RatesCalculator {
    public static func compute(_ query: RatesQuery, in table: EventTable) -> RatesReport {
        let plan = query.plan
        let persons = table.siteID(query.site).flatMap { table.sitePersons[$0] } ?? 0..<0
        let from = query.from ?? .min
        let to = query.to ?? .max

        // The series spans the range where the kept persons have events.
        var first = Int64.max, last = Int64.min
        for p in persons where query.includeBots || table.personBot[p] == 0 {
            let run = table.events(ofPerson: p)
            first = min(first, table.timestamp[run.lowerBound])
            last = max(last, table.timestamp[run.upperBound - 1])
        }
        let buckets = SeriesBuckets(query, first: first, last: last)
        let asOf = asOf(query, last: last)

        let context = ScanContext(
            table: table, plan: plan, from: from, to: to, includeBots: query.includeBots, segments: query.segments,
            buckets: buckets, asOf: asOf)
        // Workers take slices of persons in turn, so a core the machine stalls for a moment
        // holds up one slice rather than half the scan. Values (sums of doubles) are kept per
        // slice and added in slice order: the report never depends on who took which slice.
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, persons.count / 20_000 + 1))
        let slices = workers == 1 ? 1 : 8 * workers
        let size = (persons.count + slices - 1) / slices
        let next = Atomic<Int>(0)
        let partials = Mutex<[RatesTally?]>(Array(repeating: nil, count: workers))
        let sliceValues = Mutex<[[Double]]>(Array(repeating: [], count: slices))
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let scan = RatesScan(context)
            while true {
                let k = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard k < slices else { break }
                let start = min(persons.upperBound, persons.lowerBound + k * size)
                scan.run(start..<min(persons.upperBound, start + size))
                let values = scan.takeValues()
                sliceValues.withLock { $0[k] = values }
            }
            var tally = scan.tally
            tally.samples = scan.takeSamples().map { [$0] }
            partials.withLock { $0[w] = tally }
        }
        var tally = RatesTally(definitions: plan.conversions.count, buckets: buckets.count)
        for partial in partials.withLock({ $0 }) { tally.merge(partial!) }
        for values in sliceValues.withLock({ $0 }) { for d in values.indices { tally.value[d] += values[d] } }
        return tally.report(query: query, context: context)
    }

    /// The moment recency is measured to, when the kept persons' last event is `last` (`.min`: none).
    static func asOf(_ query: RatesQuery, last: Int64) -> Int64 {
        query.asOf ?? query.to ?? (last == .min ? 0 : last)
    }
}

/// Day or week buckets of a series in the site's calendar; weeks start on Monday.
struct SeriesBuckets {
    let interval: RatesQuery.Interval
    let calendar: LocalCalendar
    let firstIndex: Int64
    let count: Int

    init(interval: RatesQuery.Interval, calendar: LocalCalendar, from: Int64, through: Int64) {
        self.interval = interval
        self.calendar = calendar
        guard from != .max, through != .min, from <= through else {
            firstIndex = 0
            count = 0
            return
        }
        let firstIndex = Self.index(calendar.day(of: from), interval)
        self.firstIndex = firstIndex
        count = Int(Self.index(calendar.day(of: through), interval) - firstIndex + 1)
    }

    /// The series of a query whose kept persons' events span `first` to `last` (`.max` and
    /// `.min` when there are none), clipped to the data: a range reaching back to year 1 must
    /// not make a million empty days.
    init(_ query: RatesQuery, first: Int64, last: Int64) {
        self.init(interval: query.interval, calendar: query.plan.calendar, from: max(query.from ?? first, first),
                  through: min(query.to.map { $0 - 1 } ?? last, last))
    }

    /// A local day's bucket index. 1970-01-01 was a Thursday: shifting by 3 days puts week
    /// boundaries on Mondays.
    static func index(_ day: Int64, _ interval: RatesQuery.Interval) -> Int64 {
        interval == .day ? day : Timestamp.floorDivMod(day + 3, 7).0
    }

    @inline(__always) func bucket(_ t: Int64) -> Int { Int(Self.index(calendar.day(of: t), interval) - firstIndex) }

    /// The bucket's first local day.
    func startDay(_ bucket: Int) -> Int64 {
        let index = firstIndex + Int64(bucket)
        return interval == .day ? index : index * 7 - 3
    }

    /// The bucket's time span, start inclusive, end exclusive (a DST day is 23 or 25 hours).
    func bounds(_ bucket: Int) -> (Int64, Int64) {
        let first = startDay(bucket)
        return (calendar.start(ofDay: first), calendar.start(ofDay: first + (interval == .day ? 1 : 7)))
    }

    /// Every bucket's start and the last one's end (`count + 1` instants): a scan finds an
    /// instant's bucket among them instead of asking the calendar once per person.
    var boundaries: [Int64] {
        count == 0 ? [] : (0..<count).map { bounds($0).0 } + [bounds(count - 1).1]
    }
}

/// What every worker of one scan shares, compiled once. The lookup tables the hot loop
/// reads live in buffers this context owns, so reading them retains nothing; workers only
/// read, and the context outlives them.
final class ScanContext: @unchecked Sendable {
    let table: EventTable
    let definitions: [ConversionDefinition]
    let matchers: [CompiledMatcher]
    let audiences: [CompiledMatcher?]
    let values: [ValueReader?]
    /// What each definition's matcher needs checked beyond its name and path, and its count rule.
    struct Kind {
        var hasDetails: Bool
        var hasNth: Bool
        var hasReturn: Bool
        var hasValue: Bool
        var rule: ConversionDefinition.CountRule
        /// `nth_in_session` and `returned_within`, when set.
        var nth = 0
        var returnedWithinMillis: Int64 = 0

        var hasSequence: Bool { hasNth || hasReturn }
    }
    /// Definitions as bit sets of `words` 64-bit words (bit `d % 64` of word `d / 64`): the
    /// rates scan judges all of an event's candidates at once with them.
    let words: Int
    /// `[code * words + w]`: the definitions whose event name is that name code.
    let nameDefinitions: UnsafeMutableBufferPointer<UInt64>
    /// `[path * words + w]`: the definitions whose path glob passes that path code (or that have none).
    let pathDefinitions: UnsafeMutableBufferPointer<UInt64>
    /// `[w]`: the definitions counted on every match, once per session, once per person; those
    /// with details or behavioural conditions to check one by one; those with a value.
    let everyMatch: UnsafeMutableBufferPointer<UInt64>
    let oncePerSession: UnsafeMutableBufferPointer<UInt64>
    let oncePerPerson: UnsafeMutableBufferPointer<UInt64>
    let checkedOneByOne: UnsafeMutableBufferPointer<UInt64>
    let valued: UnsafeMutableBufferPointer<UInt64>
    /// Per definition: what its matcher needs checked beyond name and path, its count rule.
    let kinds: UnsafeMutableBufferPointer<Kind>
    let hasAudiences: Bool
    /// The same sets for the definitions' denominator audiences: by name code, by path code,
    /// and `[w]` those that need URL, referrer or props checked too.
    let audienceNames: UnsafeMutableBufferPointer<UInt64>
    let audiencePaths: UnsafeMutableBufferPointer<UInt64>
    let audienceDetails: UnsafeMutableBufferPointer<UInt64>
    /// Consecutive steps of the plan's funnels that are both definitions (SPEC §4.1 step-to-step rates).
    let stepPairs: [(funnel: String, from: Int, to: Int)]
    let segments: CompiledSegments
    let from: Int64
    let to: Int64
    let includeBots: Bool
    let timeout: Int64
    let buckets: SeriesBuckets
    let asOf: Int64

    init(table: EventTable, plan: TrackingPlan, from: Int64, to: Int64, includeBots: Bool, segments: [Segment],
         buckets: SeriesBuckets, asOf: Int64) {
        self.table = table
        definitions = plan.conversions
        matchers = definitions.map { CompiledMatcher($0.when, table: table) }
        audiences = definitions.map { $0.denominator.map { CompiledMatcher($0, table: table) } }
        values = definitions.map { $0.value.map(ValueReader.init) }
        let kinds = definitions.map { definition in
            let when = definition.when
            return Kind(hasDetails: when.url != nil || when.referrer != nil || !when.props.isEmpty,
                        hasNth: when.nthInSession != nil, hasReturn: when.returnedWithinMillis != nil,
                        hasValue: definition.value != nil, rule: definition.count, nth: when.nthInSession ?? 0,
                        returnedWithinMillis: when.returnedWithinMillis ?? 0)
        }
        hasAudiences = definitions.contains { $0.denominator != nil }
        stepPairs = RatesTally.stepPairs(of: plan)
        let definitionCount = plan.conversions.count
        let words = max(1, (definitionCount + 63) / 64)
        self.words = words
        func set(_ included: (Int) -> Bool) -> UnsafeMutableBufferPointer<UInt64> {
            var bits = [UInt64](repeating: 0, count: words)
            for d in 0..<definitionCount where included(d) { bits[d >> 6] |= 1 << UInt64(d & 63) }
            return Self.owned(bits)
        }
        everyMatch = set { kinds[$0].rule == .every }
        oncePerSession = set { kinds[$0].rule == .oncePerSession }
        oncePerPerson = set { kinds[$0].rule == .oncePerPerson }
        checkedOneByOne = set { kinds[$0].hasDetails || kinds[$0].hasSequence }
        valued = set { kinds[$0].hasValue }
        let denominators = plan.conversions.map(\.denominator)
        audienceDetails = set { d in denominators[d].map { $0.url != nil || $0.referrer != nil || !$0.props.isEmpty } ?? false }
        (nameDefinitions, pathDefinitions) = Self.nameAndPathSets(matchers, words: words, table: table)
        (audienceNames, audiencePaths) = Self.nameAndPathSets(audiences, words: words, table: table)
        self.kinds = Self.owned(kinds)
        self.segments = CompiledSegments(segments, table: table)
        self.from = from
        self.to = to
        self.includeBots = includeBots
        timeout = plan.sessionTimeoutMillis
        self.buckets = buckets
        self.asOf = asOf
    }

    deinit {
        audienceNames.deallocate(); audiencePaths.deallocate(); audienceDetails.deallocate()
        nameDefinitions.deallocate(); pathDefinitions.deallocate(); kinds.deallocate()
        everyMatch.deallocate(); oncePerSession.deallocate(); oncePerPerson.deallocate(); checkedOneByOne.deallocate(); valued.deallocate()
    }

    private static func owned<T>(_ array: [T]) -> UnsafeMutableBufferPointer<T> {
        let buffer = UnsafeMutableBufferPointer<T>.allocate(capacity: max(array.count, 1))
        _ = buffer.initialize(from: array)
        return buffer
    }

    /// `[code * words + w]` the matchers that accept a name code, `[path * words + w]` those
    /// whose path glob passes a path code (or that have none); a nil matcher is in neither.
    private static func nameAndPathSets(_ matchers: [CompiledMatcher?], words: Int, table: EventTable)
        -> (UnsafeMutableBufferPointer<UInt64>, UnsafeMutableBufferPointer<UInt64>) {
        let names = table.nameDictionary.count, paths = table.pathDictionary.count
        var nameSets = [UInt64](repeating: 0, count: names * words)
        var pathSets = [UInt64](repeating: 0, count: paths * words)
        for (d, matcher) in matchers.enumerated() {
            guard let matcher, matcher.canMatch else { continue }
            let bit: UInt64 = 1 << UInt64(d & 63)
            for code in matcher.nameCode.map({ [Int($0)] }) ?? Array(0..<names) { nameSets[code * words + (d >> 6)] |= bit }
            // The matcher decided each path once.
            for path in 0..<paths where matcher.pathVerdict?[path] ?? true { pathSets[path * words + (d >> 6)] |= bit }
        }
        return (owned(nameSets), owned(pathSets))
    }
}

/// A definition's behavioural conditions for one person: `nth_in_session` counts matches per
/// session, `returned_within` looks at the gap before the session.
struct SequenceState {
    var nthSession: Int32 = -1
    var nthCount: Int32 = 0

    /// Whether a match that passed the event-level conditions also passes the behavioural ones.
    @inline(__always)
    mutating func admits(_ kind: ScanContext.Kind, session: Int32, returnGap: Int64?) -> Bool {
        if kind.hasNth {
            if nthSession != session { nthSession = session; nthCount = 0 }
            nthCount += 1
            guard Int(nthCount) == kind.nth else { return false }
        }
        if kind.hasReturn {
            guard let gap = returnGap, gap <= kind.returnedWithinMillis else { return false }
        }
        return true
    }
}

/// A definition's `value:` for one completion.
struct ValueReader {
    let rule: ConversionDefinition.Value
    private var memo: [UInt32: Double?] = [:]

    init(_ rule: ConversionDefinition.Value) { self.rule = rule }

    /// A fixed value, or the event's numeric property; `revenue` falls back to the
    /// event's revenue amount. A missing or non-numeric property is worth 0.
    mutating func value(_ i: Int, in table: EventTable) -> Double {
        switch rule {
        case .fixed(let value): return value
        case .prop(let key):
            let id = table.props[i]
            let number: Double?
            if let known = memo[id] {
                number = known
            } else {
                number = PropsCache.object(table.strings[Int(id)])[key].flatMap(PropPredicate.number)
                memo[id] = number
            }
            return number ?? (key == "revenue" ? table.revenue[i] : 0)
        }
    }
}
