import StepwiseCore
import StepwisePlan

/// One worker's walk over persons for a funnel: attempts per unit (person or session).
///
/// Buffers are reused from unit to unit and matchers live in slots the scan owns, so the
/// walk allocates nothing per person and retains nothing per event.
final class FunnelScan {
    private let query: FunnelQuery
    private let table: EventTable
    private let steps: UnsafeMutableBufferPointer<CompiledMatcher>
    private let exclusions: UnsafeMutableBufferPointer<CompiledMatcher>
    /// Per local name code: the steps and exclusions that event name alone satisfies.
    private let stepMaskByName: [UInt64]
    private let exclusionMaskByName: [UInt64]
    /// Steps and exclusions that need more than a name: their index, and the name they need (nil: any).
    private let detailedSteps: [(k: Int, name: UInt32?)]
    private let detailedExclusions: [(k: Int, name: UInt32?)]
    private var segments: CompiledSegments
    private(set) var tally: FunnelTally

    /// One kept event of the unit: what it matches.
    private struct Hit {
        var i: Int
        var t: Int64
        var steps: UInt64
        var exclusions: UInt64
        var sessionFirst: Int
        var firstSession: Bool
    }

    private struct Attempt {
        var start: Int64
        var level: Int
        var open = true
        var voided = false
        /// The entry event, and the first event of its session (for session-scoped breakdowns).
        var entry: Int
        var entrySessionFirst: Int
        var entryFirstSession: Bool
    }

    /// Breakdown values of props seen, per props string id.
    private var propValues: [UInt32: String] = [:]

    /// Buffers reused from unit to unit; locals of `scan`, so the loop needs no exclusivity checks.
    private struct Buffers {
        var hits: [Hit] = []
        var attempts: [Attempt] = []
        /// Step times of attempt a: `times[a * steps + k]`.
        var times: [Int64] = []
    }

    init(query: FunnelQuery, table: EventTable) {
        self.query = query
        self.table = table
        let stepMatchers = query.steps.map { CompiledMatcher($0.matcher, table: table) }
        let exclusionMatchers = query.exclusions.map { CompiledMatcher($0.matcher, table: table) }
        steps = .allocate(capacity: stepMatchers.count)
        _ = steps.initialize(from: stepMatchers)
        exclusions = .allocate(capacity: exclusionMatchers.count)
        _ = exclusions.initialize(from: exclusionMatchers)
        func split(_ matchers: [CompiledMatcher], _ rules: [EventMatcher]) -> ([UInt64], [(k: Int, name: UInt32?)]) {
            var masks = [UInt64](repeating: 0, count: table.nameDictionary.count)
            var detailed: [(k: Int, name: UInt32?)] = []
            for (k, matcher) in matchers.enumerated() where matcher.canMatch {
                if rules[k].isNameOnly, let code = matcher.nameCode { masks[Int(code)] |= 1 << UInt64(k) } else { detailed.append((k, matcher.nameCode)) }
            }
            return (masks, detailed)
        }
        (stepMaskByName, detailedSteps) = split(stepMatchers, query.steps.map(\.matcher))
        (exclusionMaskByName, detailedExclusions) = split(exclusionMatchers, query.exclusions.map(\.matcher))
        segments = CompiledSegments(query.segments, table: table)
        tally = FunnelTally(steps: query.steps.count)
    }

    deinit {
        _ = steps.deinitialize(); steps.deallocate()
        _ = exclusions.deinitialize(); exclusions.deallocate()
    }

    func scan(_ persons: Range<Int>) {
        let table = self.table
        let from = query.from ?? .min, to = query.to ?? .max
        let timeout = query.sessionTimeoutMillis
        let perSession = query.unit == .session, strict = query.order == .strict
        let checkSegments = !segments.isEmpty, checkEvents = segments.hasEventConditions
        var buffers = Buffers()
        table.timestamp.withUnsafeBufferPointer { timestamp in
            table.name.withUnsafeBufferPointer { name in
                for p in persons where query.includeBots || table.personBot[p] == 0 {
                    let run = table.events(ofPerson: p)
                    if !buffers.hits.isEmpty { buffers.hits.removeAll(keepingCapacity: true) }
                    var previous = Int64.min
                    var session = -1
                    var sessionFirst = run.lowerBound
                    var sessionKept = true
                    for i in run {
                        let t = timestamp[i]
                        if SessionSplitter.startsSession(t, after: previous, timeout: timeout) {
                            if perSession, !buffers.hits.isEmpty { finishUnit(&buffers); buffers.hits.removeAll(keepingCapacity: true) }
                            session += 1
                            sessionFirst = i
                            sessionKept = !checkSegments || segments.keepsSession(firstEvent: i, isFirstSession: session == 0, in: table)
                        }
                        previous = t
                        guard sessionKept, t >= from, t < to, !checkEvents || segments.keepsEvent(i, in: table) else { continue }
                        let code = name[i]
                        var stepMask = stepMaskByName[Int(code)]
                        for (k, needed) in detailedSteps where needed == nil || needed == code {
                            if steps[k].matchesDetails(i, in: table) { stepMask |= 1 << UInt64(k) }
                        }
                        var exclusionMask = exclusionMaskByName[Int(code)]
                        for (x, needed) in detailedExclusions where needed == nil || needed == code {
                            if exclusions[x].matchesDetails(i, in: table) { exclusionMask |= 1 << UInt64(x) }
                        }
                        // strict needs every event: any other event between two steps ends the attempt.
                        guard stepMask != 0 || exclusionMask != 0 || strict else { continue }
                        buffers.hits.append(Hit(i: i, t: t, steps: stepMask, exclusions: exclusionMask, sessionFirst: sessionFirst,
                                        firstSession: session == 0))
                    }
                    if !buffers.hits.isEmpty { finishUnit(&buffers) }
                }
            }
        }
    }

    /// Ties in time take a canonical order: earliest matched step first, then by what they match.
    private func canonicalise(_ hits: inout [Hit]) {
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
    }

    private func finishUnit(_ buffers: inout Buffers) {
        canonicalise(&buffers.hits)
        let hits = buffers.hits
        let n = query.steps.count
        let window = query.windowMillis
        var best = -1
        var bestLevel = 0
        // Swapped out of the buffers (no copy) and back at the end, so they keep their capacity.
        var attempts = buffers.attempts, times = buffers.times
        buffers.attempts = []
        buffers.times = []
        defer {
            attempts.removeAll(keepingCapacity: true)
            times.removeAll(keepingCapacity: true)
            buffers.attempts = attempts
            buffers.times = times
        }
        if query.order == .any {
            // Windows opened by any step event: distinct steps inside [t, t + window].
            var end = 0
            var seen = [Int](repeating: 0, count: n)
            var distinct = 0
            for opener in hits where opener.steps != 0 {
                while end < hits.count, hits[end].t - opener.t <= window {
                    var mask = hits[end].steps
                    while mask != 0 {
                        let k = mask.trailingZeroBitCount
                        mask &= mask - 1
                        if seen[k] == 0 { distinct += 1 }
                        seen[k] += 1
                    }
                    end += 1
                }
                if distinct > bestLevel {
                    bestLevel = distinct
                    attempts.append(Attempt(start: opener.t, level: distinct, entry: opener.i, entrySessionFirst: opener.sessionFirst,
                                            entryFirstSession: opener.firstSession))
                    best = attempts.count - 1
                }
                var mask = opener.steps
                while mask != 0 {
                    let k = mask.trailingZeroBitCount
                    mask &= mask - 1
                    seen[k] -= 1
                    if seen[k] == 0 { distinct -= 1 }
                }
            }
        } else {
            let strict = query.order == .strict
            for hit in hits {
                for a in attempts.indices where attempts[a].open && !attempts[a].voided && hit.t - attempts[a].start <= window {
                    let level = attempts[a].level
                    // Exclusions first: one strictly after step `from`, before step `to` is reached.
                    if hit.exclusions != 0 {
                        for (x, exclusion) in query.exclusions.enumerated() where hit.exclusions & (1 << UInt64(x)) != 0 {
                            if level > exclusion.from, level <= exclusion.to, hit.t > times[a * n + exclusion.from] { attempts[a].voided = true }
                        }
                    }
                    guard !attempts[a].voided, level < n else { continue }
                    if hit.steps & (1 << UInt64(level)) != 0 {
                        times[a * n + level] = hit.t
                        attempts[a].level += 1
                    } else if strict {
                        attempts[a].open = false
                    }
                }
                if hit.steps & 1 != 0 {
                    attempts.append(Attempt(start: hit.t, level: 1, entry: hit.i, entrySessionFirst: hit.sessionFirst,
                                            entryFirstSession: hit.firstSession))
                    times.append(contentsOf: repeatElement(0, count: n))
                    times[(attempts.count - 1) * n] = hit.t
                }
            }
            for a in attempts.indices where !attempts[a].voided && attempts[a].level > bestLevel {
                bestLevel = attempts[a].level
                best = a
            }
        }
        guard best >= 0 else { return }
        let attempt = attempts[best]
        let stepTimes = query.order == .any ? [] : Array(times[(best * n)..<(best * n + n)])
        tally.add(level: attempt.level, times: stepTimes, breakdownValue: query.breakdown.map { breakdownValue($0, attempt) },
                  entryDay: query.calendar.day(of: attempt.start), steps: n, ordered: query.order != .any)
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
            let id = table.props[i]
            if let known = propValues[id] { return known }
            let value: String = switch PropsCache.object(table.strings[Int(id)])[key] {
            case .string(let text)?: text
            case .number(let number)?: JSONWriter.formatNumber(number)
            case .bool(let flag)?: String(flag)
            default: "(none)"
            }
            propValues[id] = value
            return value
        }
    }
}
