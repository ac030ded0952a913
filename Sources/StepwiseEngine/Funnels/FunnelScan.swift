import StepwiseCore

/// One worker's walk over persons for a funnel: attempts per unit (person or session).
struct FunnelScan {
    private let query: FunnelQuery
    private let table: EventTable
    private var steps: [CompiledMatcher]
    private var exclusions: [CompiledMatcher]
    private var segments: CompiledSegments
    private(set) var tally: FunnelTally

    private struct Attempt {
        var start: Int64
        var level: Int
        var times: [Int64]
        var open = true
        var voided = false
        /// The entry event, and the first event of its session (for session-scoped breakdowns).
        var entry: Int
        var entrySessionFirst: Int
        var entryFirstSession: Bool
    }

    /// One kept event of the unit: what it matches.
    private struct Hit {
        var i: Int
        var t: Int64
        var steps: UInt64
        var exclusions: UInt64
        var sessionFirst: Int
        var firstSession: Bool
    }

    init(query: FunnelQuery, table: EventTable) {
        self.query = query
        self.table = table
        steps = query.steps.map { CompiledMatcher($0.matcher, table: table) }
        exclusions = query.exclusions.map { CompiledMatcher($0.matcher, table: table) }
        segments = CompiledSegments(query.segments, table: table)
        tally = FunnelTally(steps: query.steps.count)
    }

    mutating func scanPerson(_ p: Int) {
        let run = table.events(ofPerson: p)
        let from = query.from ?? .min, to = query.to ?? .max
        var hits: [Hit] = []
        var previous = Int64.min
        var session = -1
        var sessionFirst = run.lowerBound
        var sessionKept = true
        for i in run {
            let t = table.timestamp[i]
            if SessionSplitter.startsSession(t, after: previous, timeout: query.sessionTimeoutMillis) {
                if query.unit == .session, !hits.isEmpty { finish(hits); hits.removeAll(keepingCapacity: true) }
                session += 1
                sessionFirst = i
                sessionKept = segments.isEmpty || segments.keepsSession(firstEvent: i, isFirstSession: session == 0, in: table)
            }
            previous = t
            guard sessionKept, t >= from, t < to, !segments.hasEventConditions || segments.keepsEvent(i, in: table) else { continue }
            var hit = Hit(i: i, t: t, steps: 0, exclusions: 0, sessionFirst: sessionFirst, firstSession: session == 0)
            for k in steps.indices where matches(&steps[k], i) { hit.steps |= 1 << UInt64(k) }
            for k in exclusions.indices where matches(&exclusions[k], i) { hit.exclusions |= 1 << UInt64(k) }
            // strict needs every event: any other event between two steps ends the attempt.
            if hit.steps != 0 || hit.exclusions != 0 || query.order == .strict { hits.append(hit) }
        }
        if !hits.isEmpty { finish(hits) }
    }

    private func matches(_ matcher: inout CompiledMatcher, _ i: Int) -> Bool {
        guard matcher.canMatch else { return false }
        if let code = matcher.nameCode, table.name[i] != code { return false }
        return matcher.matchesDetails(i, in: table)
    }

    /// Ties in time take a canonical order: earliest matched step first, then by what they match.
    private func canonical(_ hits: [Hit]) -> [Hit] {
        var hits = hits
        var start = 0
        while start < hits.count {
            var end = start + 1
            while end < hits.count, hits[end].t == hits[start].t { end += 1 }
            if end - start > 1 {
                hits[start..<end].sort { a, b in
                    let ka = a.steps == 0 ? 64 : a.steps.trailingZeroBitCount, kb = b.steps == 0 ? 64 : b.steps.trailingZeroBitCount
                    if ka != kb { return ka < kb }
                    if a.steps != b.steps { return a.steps < b.steps }
                    return a.exclusions < b.exclusions
                }
            }
            start = end
        }
        return hits
    }

    private mutating func finish(_ unitHits: [Hit]) {
        let hits = canonical(unitHits)
        let n = steps.count
        let window = query.windowMillis
        var best: Attempt?
        if query.order == .any {
            // Windows opened by any step event: distinct steps inside [t, t + window].
            var end = 0
            var seen = [Int](repeating: 0, count: n)
            var distinct = 0
            for opener in hits where opener.steps != 0 {
                while end < hits.count, hits[end].t - opener.t <= window {
                    for k in 0..<n where hits[end].steps & (1 << UInt64(k)) != 0 {
                        if seen[k] == 0 { distinct += 1 }
                        seen[k] += 1
                    }
                    end += 1
                }
                if distinct > (best?.level ?? 0) {
                    best = Attempt(start: opener.t, level: distinct, times: [], entry: opener.i, entrySessionFirst: opener.sessionFirst,
                                   entryFirstSession: opener.firstSession)
                }
                for k in 0..<n where opener.steps & (1 << UInt64(k)) != 0 {
                    seen[k] -= 1
                    if seen[k] == 0 { distinct -= 1 }
                }
            }
        } else {
            var attempts: [Attempt] = []
            for hit in hits {
                for a in attempts.indices where attempts[a].open && !attempts[a].voided && hit.t - attempts[a].start <= window {
                    let level = attempts[a].level
                    // Exclusions first: an exclusion strictly after step `from`, before step `to`.
                    for (x, exclusion) in query.exclusions.enumerated() where hit.exclusions & (1 << UInt64(x)) != 0 {
                        if level > exclusion.from, level <= exclusion.to, hit.t > attempts[a].times[exclusion.from] { attempts[a].voided = true }
                    }
                    guard !attempts[a].voided, level < n else { continue }
                    if hit.steps & (1 << UInt64(level)) != 0 {
                        attempts[a].level += 1
                        attempts[a].times.append(hit.t)
                    } else if query.order == .strict {
                        attempts[a].open = false
                    }
                }
                if hit.steps & 1 != 0 {
                    attempts.append(Attempt(start: hit.t, level: 1, times: [hit.t], entry: hit.i, entrySessionFirst: hit.sessionFirst,
                                            entryFirstSession: hit.firstSession))
                }
            }
            for attempt in attempts where !attempt.voided && attempt.level > (best?.level ?? 0) { best = attempt }
        }
        guard let best else { return }
        tally.add(level: best.level, times: best.times, breakdownValue: query.breakdown.map { breakdownValue($0, best) },
                  entryDay: query.calendar.day(of: best.start), steps: n, ordered: query.order != .any)
    }

    private func breakdownValue(_ dimension: Segment.Dimension, _ attempt: Attempt) -> String {
        let i = attempt.entry
        switch dimension {
        case .channel: return Channel(rawValue: table.channel[attempt.entrySessionFirst])?.description ?? "unknown"
        case .device: return DeviceType(rawValue: table.device[i])?.description ?? "unknown"
        case .browser: return Browser(rawValue: table.browser[i])?.description ?? "unknown"
        case .os: return OperatingSystem(rawValue: table.os[i])?.description ?? "unknown"
        case .region: return table.regionText(table.region[i])
        case .landingPage: return table.pathText(table.path[attempt.entrySessionFirst])
        case .visitorType: return attempt.entryFirstSession ? "new" : "returning"
        case .prop(let key):
            switch PropsCache.object(table.strings[Int(table.props[i])])[key] {
            case .string(let text)?: return text
            case .number(let number)?: return JSONWriter.formatNumber(number)
            case .bool(let flag)?: return String(flag)
            default: return "(none)"
            }
        }
    }
}
