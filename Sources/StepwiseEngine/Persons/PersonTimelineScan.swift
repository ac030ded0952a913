import Dispatch
import Foundation
import Synchronization
import StepwisePlan

/// One match of a plan definition in a person's history.
struct TimelineMatch {
    var definition: Int32
    /// The matching event's row in the table (exports read its URL and props).
    var event: UInt32
    var time: Int64
    /// The completion's value (0 when not counted or without a `value:`).
    var value: Double
    /// Whether the definition's count rule makes this match a completion.
    var counted: Bool
}

/// Where one of a person's sessions starts: its time and first event's row.
struct SessionStart {
    var time: Int64
    var event: UInt32
}

/// One person's matches inside the range and segments, in time order. `matches` is only
/// valid during the call that hands it over.
struct PersonTimeline {
    let person: Int
    let firstActive: Int64
    let lastActive: Int64
    let matches: UnsafeBufferPointer<TimelineMatch>
    /// Every session of the person's whole history, in time order; empty unless the scan
    /// was asked to collect them (attribution's touchpoints).
    let sessions: UnsafeBufferPointer<SessionStart>
}

/// Walks persons and hands each one's definition matches to a consumer: the shared first
/// step of the person-level reports (predictive value, score, audiences).
///
/// Sessions, `nth_in_session` and `returned_within` see the person's whole history, as in
/// the rates scan; only events inside the range and the segments become matches, and count
/// rules apply to those.
final class PersonTimelineScan {
    private let context: ScanContext
    private let matchers: UnsafeMutableBufferPointer<CompiledMatcher>
    private let values: UnsafeMutableBufferPointer<ValueReader?>
    private let segments: UnsafeMutablePointer<CompiledSegments>

    private struct State {
        var touched = false
        var matched = false
        var matchedSession: Int32 = -1
        var sequence = SequenceState()
    }
    private let state: UnsafeMutableBufferPointer<State>
    private let touched: UnsafeMutableBufferPointer<Int32>
    private var matches: UnsafeMutableBufferPointer<TimelineMatch>
    private let collectsSessions: Bool
    private var sessions: UnsafeMutableBufferPointer<SessionStart>

    init(_ context: ScanContext, collectsSessions: Bool = false) {
        self.context = context
        self.collectsSessions = collectsSessions
        sessions = .allocate(capacity: collectsSessions ? 64 : 0)
        let n = context.definitions.count
        matchers = .allocate(capacity: max(n, 1))
        _ = matchers.initialize(from: context.matchers)
        values = .allocate(capacity: max(n, 1))
        _ = values.initialize(from: context.values)
        segments = .allocate(capacity: 1)
        segments.initialize(to: context.segments)
        state = .allocate(capacity: max(n, 1))
        state.initialize(repeating: State())
        touched = .allocate(capacity: max(n, 1))
        touched.initialize(repeating: 0)
        matches = .allocate(capacity: 256)
    }

    deinit {
        _ = matchers.deinitialize(); _ = values.deinitialize(); segments.deinitialize(count: 1)
        matchers.deallocate(); values.deallocate(); segments.deallocate()
        state.deallocate(); touched.deallocate(); matches.deallocate(); sessions.deallocate()
    }

    /// Calls `body` for each person of `persons` with at least one event the range and segments keep.
    func run(_ persons: Range<Int>, _ body: (PersonTimeline) -> Void) {
        let table = context.table
        table.timestamp.withUnsafeBufferPointer { timestamp in
            table.name.withUnsafeBufferPointer { name in
                table.path.withUnsafeBufferPointer { path in
                    for p in persons where context.includeBots || table.personBot[p] == 0 {
                        scanPerson(p, table, timestamp, name, path, body)
                    }
                }
            }
        }
    }

    private func scanPerson(
        _ p: Int, _ table: EventTable, _ timestamp: UnsafeBufferPointer<Int64>, _ name: UnsafeBufferPointer<UInt32>,
        _ path: UnsafeBufferPointer<UInt32>, _ body: (PersonTimeline) -> Void
    ) {
        let words = context.words, kinds = context.kinds
        let nameDefinitions = context.nameDefinitions, pathDefinitions = context.pathDefinitions
        let from = context.from, to = context.to, timeout = context.timeout
        let checkEvents = context.segments.hasEventConditions, noSegments = context.segments.isEmpty
        var session: Int32 = -1
        var previous = Int64.min
        var returnGap: Int64?
        var sessionKept = false
        var firstActive = Int64.max, lastActive = Int64.min
        var touchedCount = 0
        var count = 0

        for i in table.events(ofPerson: p) {
            let t = timestamp[i]
            if SessionSplitter.startsSession(t, after: previous, timeout: timeout) {
                returnGap = previous == .min ? nil : t - previous
                session += 1
                if collectsSessions { recordSession(Int(session), SessionStart(time: t, event: UInt32(i))) }
                sessionKept = noSegments || segments.pointee.keepsSession(firstEvent: i, isFirstSession: session == 0, in: table)
            }
            previous = t
            let active = sessionKept && t >= from && t < to && (!checkEvents || segments.pointee.keepsEvent(i, in: table))
            if active {
                if firstActive == .max { firstActive = t }
                lastActive = t
            }
            let code = Int(name[i]), pathCode = Int(path[i])
            for w in 0..<words {
                var hits = nameDefinitions[code * words + w] & pathDefinitions[pathCode * words + w]
                while hits != 0 {
                    let d = w << 6 | hits.trailingZeroBitCount
                    hits &= hits - 1
                    let kind = kinds[d]
                    if kind.hasDetails, !matchers[d].matchesDetails(i, in: table) { continue }
                    if !state[d].touched { state[d].touched = true; touched[touchedCount] = Int32(d); touchedCount += 1 }
                    if kind.hasSequence, !state[d].sequence.admits(kind, session: session, returnGap: returnGap) { continue }
                    guard active else { continue }
                    let firstForPerson = !state[d].matched
                    let firstInSession = state[d].matchedSession != session
                    state[d].matched = true
                    state[d].matchedSession = session
                    let counted = switch kind.rule {
                    case .every: true
                    case .oncePerSession: firstInSession
                    case .oncePerPerson: firstForPerson
                    }
                    if count == matches.count { Self.grow(&matches) }
                    let value = counted && kind.hasValue ? values[d]!.value(i, in: table) : 0
                    matches[count] = TimelineMatch(definition: Int32(d), event: UInt32(i), time: t, value: value, counted: counted)
                    count += 1
                }
            }
        }
        for k in 0..<touchedCount { state[Int(touched[k])] = State() }
        guard firstActive != .max else { return }
        body(PersonTimeline(person: p, firstActive: firstActive, lastActive: lastActive,
                            matches: UnsafeBufferPointer(rebasing: matches[0..<count]),
                            sessions: UnsafeBufferPointer(rebasing: sessions[0..<(collectsSessions ? Int(session) + 1 : 0)])))
    }

    private func recordSession(_ k: Int, _ start: SessionStart) {
        if k == sessions.count { Self.grow(&sessions) }
        sessions[k] = start
    }

    private static func grow<T>(_ buffer: inout UnsafeMutableBufferPointer<T>) {
        let grown = UnsafeMutableBufferPointer<T>.allocate(capacity: max(2 * buffer.count, 64))
        _ = grown.initialize(from: buffer)
        buffer.deallocate()
        buffer = grown
    }
}

extension ScanContext {
    /// A context for the person-level reports: no series, definitions matched over `from ..< to`.
    convenience init(table: EventTable, plan: TrackingPlan, from: Int64?, to: Int64?, includeBots: Bool, segments: [Segment]) {
        self.init(table: table, plan: plan, from: from ?? .min, to: to ?? .max, includeBots: includeBots, segments: segments,
                  buckets: SeriesBuckets(interval: .day, calendar: plan.calendar, from: .max, through: .min), asOf: to ?? 0)
    }

    /// Runs one `PersonTimelineScan` per core over the site's persons; each worker folds its
    /// persons into its own partial, and the partials come back in worker order.
    func mapPersons<Partial: Sendable>(
        site: String, collectsSessions: Bool = false, _ make: () -> Partial, _ fold: @Sendable (inout Partial, PersonTimeline) -> Void
    ) -> [Partial]
    where Partial: Sendable {
        let persons = table.siteID(site).flatMap { table.sitePersons[$0] } ?? 0..<0
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, persons.count / 20_000 + 1))
        let chunk = (persons.count + workers - 1) / workers
        let partials = Mutex<[Partial?]>(Array(repeating: nil, count: workers))
        let seed = make()
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let start = persons.lowerBound + w * chunk
            let range = start..<min(persons.upperBound, start + chunk)
            let scan = PersonTimelineScan(self, collectsSessions: collectsSessions)
            var partial = seed
            scan.run(range.isEmpty ? 0..<0 : range) { fold(&partial, $0) }
            partials.withLock { $0[w] = partial }
        }
        return partials.withLock { $0 }.map { $0! }
    }
}
