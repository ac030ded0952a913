import StepwisePlan

/// One worker's walk over the slices of persons it takes, producing a `RatesTally`.
///
/// The hot loop touches only raw buffers: an event's matching definitions are a bit set (see
/// `ScanContext.nameDefinitions`), the person's firsts are set arithmetic, and per-definition
/// counters and state are fixed slots the scan owns, never an array copy check.
final class RatesScan {
    private let context: ScanContext
    // Matchers, value readers and segments memoise as they go: each lives in a slot the
    // scan owns, so the loop needs no exclusivity bookkeeping.
    private let matchers: UnsafeMutableBufferPointer<CompiledMatcher>
    private let audiences: UnsafeMutableBufferPointer<CompiledMatcher?>
    private let values: UnsafeMutableBufferPointer<ValueReader?>
    private let segments: UnsafeMutablePointer<CompiledSegments>
    private let n: Int
    private let buckets: Int
    /// The series' bucket boundaries (`buckets + 1`, ascending), see `SeriesBuckets.boundaries`.
    private let boundaries: UnsafeMutableBufferPointer<Int64>
    private let weekly: Bool
    // The segments' two flags, read once per scan rather than once per person.
    private let checkEvents: Bool
    private let noSegments: Bool

    /// Per definition, for the person being walked: its n-th-in-session counter, its sessions,
    /// completions and last match. The person's totals join the counters once, at its end.
    private struct PersonState {
        var sequence = SequenceState()
        var sessions: Int32 = 0
        var completions: Int32 = 0
        var lastMatch: Int64 = 0
    }

    private struct Counters {
        var completions = 0
        var persons = 0
        var sessions = 0
        var audienceSize = 0
        var audienceCompleted = 0
        var value = 0.0
    }

    private let state: UnsafeMutableBufferPointer<PersonState>
    /// Bit sets of definitions (`ScanContext.words` words each) for the person being walked:
    /// those it touched (matched or entered the audience of: only these are reset and tallied
    /// at its end), matched (active matches), matched in the current session, in the current
    /// series bucket, whose denominator audience it entered.
    private let touched: UnsafeMutableBufferPointer<UInt64>
    private let inAudience: UnsafeMutableBufferPointer<UInt64>
    private let matched: UnsafeMutableBufferPointer<UInt64>
    private let matchedInSession: UnsafeMutableBufferPointer<UInt64>
    private let matchedInBucket: UnsafeMutableBufferPointer<UInt64>
    private let counters: UnsafeMutableBufferPointer<Counters>
    /// `[definition * buckets + bucket]`.
    private let seriesCompletions: UnsafeMutableBufferPointer<Int>
    private let seriesPersons: UnsafeMutableBufferPointer<Int>
    private let seriesActive: UnsafeMutableBufferPointer<Int>
    /// Per step pair: persons who did the first step, and who did both.
    private let stepPersons: UnsafeMutableBufferPointer<Int>
    private let stepPairs: [(from: Int, to: Int)]
    /// Persons and sessions with a kept event.
    private let activeTotals: UnsafeMutableBufferPointer<Int>
    /// `[metric * n + definition]`, see `SampleMetric`.
    private let samples: UnsafeMutableBufferPointer<Samples>

    init(_ context: ScanContext) {
        self.context = context
        matchers = .allocate(capacity: context.matchers.count)
        _ = matchers.initialize(from: context.matchers)
        audiences = .allocate(capacity: context.audiences.count)
        _ = audiences.initialize(from: context.audiences)
        values = .allocate(capacity: context.values.count)
        _ = values.initialize(from: context.values)
        segments = .allocate(capacity: 1)
        segments.initialize(to: context.segments)
        n = context.definitions.count
        buckets = context.buckets.count
        boundaries = .allocate(capacity: buckets + 1)
        _ = boundaries.initialize(from: context.buckets.boundaries)
        weekly = context.buckets.interval == .week
        checkEvents = context.segments.hasEventConditions
        noSegments = context.segments.isEmpty
        stepPairs = context.stepPairs.map { ($0.from, $0.to) }
        stepPersons = .allocate(capacity: max(2 * stepPairs.count, 1))
        stepPersons.initialize(repeating: 0)
        state = .allocate(capacity: n)
        state.initialize(repeating: PersonState())
        touched = .allocate(capacity: context.words)
        touched.initialize(repeating: 0)
        inAudience = .allocate(capacity: context.words)
        inAudience.initialize(repeating: 0)
        matched = .allocate(capacity: context.words)
        matched.initialize(repeating: 0)
        matchedInSession = .allocate(capacity: context.words)
        matchedInSession.initialize(repeating: 0)
        matchedInBucket = .allocate(capacity: context.words)
        matchedInBucket.initialize(repeating: 0)
        counters = .allocate(capacity: n)
        counters.initialize(repeating: Counters())
        seriesCompletions = .allocate(capacity: n * buckets)
        seriesCompletions.initialize(repeating: 0)
        seriesPersons = .allocate(capacity: n * buckets)
        seriesPersons.initialize(repeating: 0)
        seriesActive = .allocate(capacity: buckets)
        seriesActive.initialize(repeating: 0)
        activeTotals = .allocate(capacity: 2)
        activeTotals.initialize(repeating: 0)
        samples = .allocate(capacity: SampleMetric.allCases.count * n)
        samples.initialize(repeating: Samples())
    }

    deinit {
        for i in samples.indices { samples[i].free() }
        _ = samples.deinitialize(); samples.deallocate()
        _ = matchers.deinitialize(); _ = audiences.deinitialize(); _ = values.deinitialize(); segments.deinitialize(count: 1)
        matchers.deallocate(); audiences.deallocate(); values.deallocate(); segments.deallocate()
        stepPersons.deallocate(); boundaries.deallocate()
        state.deallocate(); touched.deallocate(); inAudience.deallocate(); matched.deallocate(); matchedInSession.deallocate(); matchedInBucket.deallocate()
        counters.deallocate(); seriesCompletions.deallocate(); seriesPersons.deallocate(); seriesActive.deallocate()
        activeTotals.deallocate()
    }

    func run(_ persons: Range<Int>) {
        let table = context.table
        table.timestamp.withUnsafeBufferPointer { timestamp in
            table.name.withUnsafeBufferPointer { name in
                table.path.withUnsafeBufferPointer { path in
                    for p in persons where context.includeBots || table.personBot[p] == 0 {
                        scanPerson(p, table, timestamp, name, path)
                    }
                }
            }
        }
    }

    private func scanPerson(
        _ p: Int, _ table: EventTable, _ timestamp: UnsafeBufferPointer<Int64>, _ name: UnsafeBufferPointer<UInt32>,
        _ path: UnsafeBufferPointer<UInt32>
    ) {
        let run = table.events(ofPerson: p)
        let firstVisit = timestamp[run.lowerBound]
        // Local copies of the context's buffers and scalars: the loop keeps them in registers.
        let words = context.words, kinds = context.kinds
        let nameDefinitions = context.nameDefinitions, pathDefinitions = context.pathDefinitions
        let everyMatch = context.everyMatch, oncePerSession = context.oncePerSession, oncePerPerson = context.oncePerPerson
        let checkedOneByOne = context.checkedOneByOne, valued = context.valued
        let audienceNames = context.audienceNames, audiencePaths = context.audiencePaths, audienceDetails = context.audienceDetails
        let from = context.from, to = context.to, timeout = context.timeout
        let checkEvents = checkEvents, noSegments = noSegments
        var session: Int32 = -1
        var sessionStart: Int64 = 0
        var previous = Int64.min
        /// Gap from the previous session's last event to this session's start; nil in the first.
        var returnGap: Int64?
        var sessionKept = false
        var personActive = false
        var activeSession: Int32 = -1
        var bucket = -1
        var bucketStart = Int64.max, bucketEnd = Int64.min
        var activeBucket = -1

        for i in run {
            let t = timestamp[i]
            if SessionSplitter.startsSession(t, after: previous, timeout: timeout) {
                returnGap = previous == .min ? nil : t - previous
                session += 1
                sessionStart = t
                sessionKept = noSegments || segments.pointee.keepsSession(firstEvent: i, isFirstSession: session == 0, in: table)
                for w in 0..<words { matchedInSession[w] = 0 }
            }
            previous = t
            let active = sessionKept && t >= from && t < to && (!checkEvents || segments.pointee.keepsEvent(i, in: table))
            if active {
                personActive = true
                if activeSession != session { activeSession = session; activeTotals[1] += 1 }
                if t < bucketStart || t >= bucketEnd {
                    bucket = self.bucket(t)
                    (bucketStart, bucketEnd) = (boundaries[bucket], boundaries[bucket + 1])
                }
                if activeBucket != bucket {
                    activeBucket = bucket
                    seriesActive[bucket] += 1
                    for w in 0..<words { matchedInBucket[w] = 0 }
                }
            }

            // The definitions whose name and path pass, 64 at a time as bit sets; details and
            // behavioural conditions are checked one by one, the rest is set arithmetic.
            let code = Int(name[i]), pathCode = Int(path[i])
            for w in 0..<words {
                var hits = nameDefinitions[code * words + w] & pathDefinitions[pathCode * words + w]
                guard hits != 0 else { continue }
                var checked = hits & checkedOneByOne[w]
                while checked != 0 {
                    let bit = checked & (0 &- checked)
                    checked &= checked - 1
                    let d = w << 6 | bit.trailingZeroBitCount
                    let kind = kinds[d]
                    if kind.hasDetails, !matchers[d].matchesDetails(i, in: table) { hits &= ~bit; continue }
                    touched[w] |= bit
                    if kind.hasSequence, !state[d].sequence.admits(kind, session: session, returnGap: returnGap) { hits &= ~bit }
                }
                touched[w] |= hits
                guard active, hits != 0 else { continue }
                // Persons, sessions and the series' persons count every match: the count rule
                // only decides which matches are completions.
                let firstForPerson = hits & ~matched[w], firstInSession = hits & ~matchedInSession[w]
                let firstInBucket = hits & ~matchedInBucket[w]
                matched[w] |= hits; matchedInSession[w] |= hits; matchedInBucket[w] |= hits
                var bits = firstForPerson
                while bits != 0 {
                    let d = w << 6 | bits.trailingZeroBitCount
                    bits &= bits - 1
                    samples[SampleMetric.fromFirstVisit.rawValue * n + d].append(seconds: t - firstVisit)
                }
                bits = firstInSession
                while bits != 0 {
                    let d = w << 6 | bits.trailingZeroBitCount
                    bits &= bits - 1
                    state[d].sessions += 1
                    samples[SampleMetric.fromSessionStart.rawValue * n + d].append(millis: t - sessionStart)
                }
                bits = firstInBucket
                while bits != 0 {
                    let d = w << 6 | bits.trailingZeroBitCount
                    bits &= bits - 1
                    seriesPersons[d * buckets + bucket] += 1
                }
                let completes = (hits & everyMatch[w]) | (firstInSession & oncePerSession[w]) | (firstForPerson & oncePerPerson[w])
                bits = hits
                while bits != 0 {
                    let bit = bits & (0 &- bits)
                    let d = w << 6 | bits.trailingZeroBitCount
                    bits &= bits - 1
                    state[d].lastMatch = t
                    guard completes & bit != 0 else { continue }
                    if valued[w] & bit != 0 { counters[d].value += values[d]!.value(i, in: table) }
                    seriesCompletions[d * buckets + bucket] += 1
                    state[d].completions += 1
                }
            }

            guard active, context.hasAudiences else { continue }
            for w in 0..<words {
                var entered = audienceNames[code * words + w] & audiencePaths[pathCode * words + w] & ~inAudience[w]
                var checked = entered & audienceDetails[w]
                while checked != 0 {
                    let bit = checked & (0 &- checked)
                    checked &= checked - 1
                    if !audiences[w << 6 | bit.trailingZeroBitCount]!.matchesDetails(i, in: table) { entered &= ~bit }
                }
                inAudience[w] |= entered
                touched[w] |= entered
            }
        }

        defer {
            for w in 0..<words {
                var bits = touched[w]
                while bits != 0 {
                    state[w << 6 | bits.trailingZeroBitCount] = PersonState()
                    bits &= bits - 1
                }
                touched[w] = 0; inAudience[w] = 0; matched[w] = 0; matchedInSession[w] = 0; matchedInBucket[w] = 0
            }
        }
        guard personActive else { return }
        activeTotals[0] += 1
        for w in 0..<words {
            var bits = touched[w]
            while bits != 0 {
                let bit = bits & (0 &- bits)
                let d = w << 6 | bits.trailingZeroBitCount
                bits &= bits - 1
                let didMatch = matched[w] & bit != 0
                if inAudience[w] & bit != 0 {
                    counters[d].audienceSize += 1
                    if didMatch { counters[d].audienceCompleted += 1 }
                }
                if didMatch {
                    counters[d].persons += 1
                    counters[d].sessions += Int(state[d].sessions)
                    counters[d].completions += Int(state[d].completions)
                    samples[SampleMetric.frequency.rawValue * n + d].append(UInt32(state[d].completions))
                    samples[SampleMetric.recency.rawValue * n + d].append(seconds: context.asOf - state[d].lastMatch)
                }
            }
        }
        func didMatch(_ d: Int) -> Bool { matched[d >> 6] & 1 << UInt64(d & 63) != 0 }
        for (k, pair) in stepPairs.enumerated() where didMatch(pair.from) {
            stepPersons[2 * k] += 1
            if didMatch(pair.to) { stepPersons[2 * k + 1] += 1 }
        }
    }

    /// The bucket holding `t`, an instant inside the series: guessed from the nominal bucket
    /// length, then corrected (DST moves a boundary by an hour, so the guess is rarely off).
    @inline(__always) private func bucket(_ t: Int64) -> Int {
        // Constant divisors: the compiler turns them into multiplications.
        let days = (t - boundaries[0]) / 86_400_000
        var b = min(max(Int(weekly ? days / 7 : days), 0), buckets - 1)
        while b > 0, boundaries[b] > t { b -= 1 }
        while b < buckets - 1, boundaries[b + 1] <= t { b += 1 }
        return b
    }

    /// Everything but the values, which `takeValues` hands over slice by slice.
    var tally: RatesTally {
        var tally = RatesTally(definitions: n, buckets: buckets)
        tally.stepPersons = Array(stepPersons.prefix(2 * stepPairs.count))
        tally.personsActive = activeTotals[0]
        tally.sessions = activeTotals[1]
        tally.seriesActivePersons = Array(seriesActive)
        tally.seriesCompletions = Array(seriesCompletions)
        tally.seriesPersons = Array(seriesPersons)
        tally.completions = counters.map(\.completions)
        tally.persons = counters.map(\.persons)
        tally.sessionsMatched = counters.map(\.sessions)
        tally.audienceSize = counters.map(\.audienceSize)
        tally.audienceCompleted = counters.map(\.audienceCompleted)
        return tally
    }

    /// The definitions' values summed since the last call (see `RatesCalculator`), then zeroed.
    func takeValues() -> [Double] {
        defer { for d in 0..<n { counters[d].value = 0 } }
        return counters.map(\.value)
    }

    /// Hands the samples over to the caller, who must `free()` them.
    func takeSamples() -> [Samples] {
        let taken = Array(samples)
        for i in samples.indices { samples[i] = Samples() }
        return taken
    }
}

/// The per-person and per-session values a rates scan keeps for quantiles.
enum SampleMetric: Int, CaseIterable {
    /// Seconds from the person's first event to their first match.
    case fromFirstVisit
    /// Milliseconds from the session's start to its first match.
    case fromSessionStart
    /// Completions per completing person.
    case frequency
    /// Seconds from the person's last match to the as-of moment.
    case recency
}
