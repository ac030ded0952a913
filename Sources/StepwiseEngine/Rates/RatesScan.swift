import StepwisePlan

/// One worker's walk over a slice of persons, feeding a `RatesTally`.
struct RatesScan {
    private let context: ScanContext
    private var matchers: [CompiledMatcher]
    private var audiences: [CompiledMatcher?]
    private var values: [ValueReader?]
    private var segments: CompiledSegments
    private(set) var tally: RatesTally

    // Per-person state, one slot per definition, reset at each person.
    private var counted: [Bool]
    private var completedSession: [Int]
    private var matchSession: [Int]
    private var matchesInSession: [Int]
    private var lastBucket: [Int]
    private var completions: [Int32]
    private var lastCompletion: [Int64]
    private var inAudience: [Bool]

    init(_ context: ScanContext) {
        self.context = context
        matchers = context.matchers
        audiences = context.audiences
        values = context.values
        segments = context.segments
        let n = context.definitions.count
        tally = RatesTally(definitions: n, buckets: context.buckets.count)
        counted = Array(repeating: false, count: n)
        completedSession = Array(repeating: -1, count: n)
        matchSession = Array(repeating: -1, count: n)
        matchesInSession = Array(repeating: 0, count: n)
        lastBucket = Array(repeating: -1, count: n)
        completions = Array(repeating: 0, count: n)
        lastCompletion = Array(repeating: 0, count: n)
        inAudience = Array(repeating: false, count: n)
    }

    mutating func run(_ persons: Range<Int>) {
        let table = context.table
        for p in persons where context.includeBots || table.personBot[p] == 0 {
            scanPerson(p, table)
        }
    }

    private mutating func scanPerson(_ p: Int, _ table: EventTable) {
        let n = context.definitions.count
        for d in 0..<n {
            counted[d] = false; completedSession[d] = -1; matchSession[d] = -1; matchesInSession[d] = 0
            lastBucket[d] = -1; completions[d] = 0; inAudience[d] = false
        }
        let run = table.events(ofPerson: p)
        let firstVisit = table.timestamp[run.lowerBound]
        var session = -1
        var sessionStart: Int64 = 0
        var previous = Int64.min
        /// Gap from the previous session's last event to this session's start; nil in the first.
        var returnGap: Int64?
        var sessionKept = false
        var personActive = false
        var activeSession = -1
        var activeBucket = -1
        let checkEvents = context.segments.hasEventConditions

        for i in run {
            let t = table.timestamp[i]
            if SessionSplitter.startsSession(t, after: previous, timeout: context.timeout) {
                returnGap = previous == .min ? nil : t - previous
                session += 1
                sessionStart = t
                sessionKept = context.segments.isEmpty
                    || segments.keepsSession(firstEvent: i, isFirstSession: session == 0, in: table)
            }
            previous = t
            let active = sessionKept && t >= context.from && t < context.to && (!checkEvents || segments.keepsEvent(i, in: table))
            var bucket = -1
            if active {
                personActive = true
                if activeSession != session { activeSession = session; tally.sessions += 1 }
                bucket = context.buckets.bucket(t)
                if activeBucket != bucket { activeBucket = bucket; tally.seriesActivePersons[bucket] += 1 }
            }

            let code = Int(table.name[i])
            for c in Int(context.candidateStart[code])..<Int(context.candidateStart[code + 1]) {
                let d = Int(context.candidates[c])
                guard matchers[d].matchesDetails(i, in: table) else { continue }
                if let nth = matchers[d].nthInSession {
                    if matchSession[d] != session { matchSession[d] = session; matchesInSession[d] = 0 }
                    matchesInSession[d] += 1
                    guard matchesInSession[d] == nth else { continue }
                }
                if let within = matchers[d].returnedWithinMillis {
                    guard let gap = returnGap, gap <= within else { continue }
                }
                guard active else { continue }
                switch context.definitions[d].count {
                case .every: break
                case .oncePerSession: guard completedSession[d] != session else { continue }
                case .oncePerPerson: guard !counted[d] else { continue }
                }
                tally.completions[d] += 1
                if values[d] != nil { tally.value[d] += values[d]!.value(i, in: table) }
                if !counted[d] {
                    counted[d] = true
                    tally.persons[d] += 1
                    tally.fromFirstVisit[d].append(t - firstVisit)
                }
                if completedSession[d] != session {
                    completedSession[d] = session
                    tally.sessionCompletions[d] += 1
                    tally.fromSessionStart[d].append(t - sessionStart)
                }
                tally.seriesCompletions[d * tally.bucketCount + bucket] += 1
                if lastBucket[d] != bucket {
                    lastBucket[d] = bucket
                    tally.seriesPersons[d * tally.bucketCount + bucket] += 1
                }
                completions[d] += 1
                lastCompletion[d] = t
            }

            guard active else { continue }
            for c in Int(context.audienceStart[code])..<Int(context.audienceStart[code + 1]) {
                let d = Int(context.audienceCandidates[c])
                if !inAudience[d], audiences[d]!.matchesDetails(i, in: table) { inAudience[d] = true }
            }
        }

        guard personActive else { return }
        tally.personsActive += 1
        for d in 0..<n {
            if inAudience[d] {
                tally.audienceSize[d] += 1
                if counted[d] { tally.audienceCompleted[d] += 1 }
            }
            if counted[d] {
                tally.frequencies[d].append(completions[d])
                tally.recencies[d].append(context.asOf - lastCompletion[d])
            }
        }
    }
}
