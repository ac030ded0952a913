import Dispatch
import Foundation
import StepwiseCore
import StepwisePlan
import Synchronization

/// Computes a `FunnelReport`: per person (or session), the furthest step reached in order
/// inside one conversion window opened by an entry event, the best attempt counting
/// (ClickHouse `windowFunnel` semantics, SPEC §4.2).
///
/// Rules, pinned by tests:
/// - The window is inclusive, measured from the entry event; every entry event opens a new
///   attempt and each attempt advances at most one step per event, so an event never
///   satisfies two consecutive steps of one attempt.
/// - Events at the same millisecond are taken in a canonical order, never storage order:
///   the one matching the earliest step first (then by which steps and exclusions it matches).
///   A step at the same time as the previous one counts.
/// - strict: the event right after an attempt's last step must be its next step, or the
///   attempt stops where it is. any: a window opened by any step event; the level is the
///   number of distinct steps inside it.
/// - An exclusion event strictly after step `from` of an open attempt that has not reached
///   step `to` voids the attempt; a unit whose attempts are all voided is in no step.
/// - Only events inside the date range and the segments take part. The best attempt (highest
///   level, then earliest) gives the breakdown value (from its entry event) and the trend period.
public enum FunnelCalculator {
    public static func compute(_ query: FunnelQuery, in table: EventTable) -> FunnelReport {
        let persons = table.siteID(query.site).flatMap { table.sitePersons[$0] } ?? 0..<0
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, persons.count / 20_000 + 1))
        let chunk = (persons.count + workers - 1) / workers
        let partials = Mutex<[FunnelTally]>([])
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let start = persons.lowerBound + w * chunk
            let range = start..<min(persons.upperBound, start + chunk)
            let scan = FunnelScan(query: query, table: table)
            scan.scan(range.isEmpty ? 0..<0 : range)
            let tally = scan.tally
            partials.withLock { $0.append(tally) }
        }
        var tally = FunnelTally(steps: query.steps.count)
        for partial in partials.withLock({ $0 }) { tally.merge(partial) }
        return tally.report(query)
    }
}

/// Counts of one scan; workers' tallies merge by addition.
struct FunnelTally: Sendable {
    var counts: [Int]
    /// Milliseconds from step k - 1 to step k, per step (index 0 unused).
    var gaps: [[Int64]]
    var breakdown: [String: [Int]] = [:]
    /// Entry day (local day number) → (entered, completed), as days from `trendBase`.
    var trendBase: Int64 = 0
    var trendEntered: [Int] = []
    var trendCompleted: [Int] = []
    var trend: [Int64: (Int, Int)] {
        var days: [Int64: (Int, Int)] = [:]
        for k in trendEntered.indices where trendEntered[k] > 0 { days[trendBase + Int64(k)] = (trendEntered[k], trendCompleted[k]) }
        return days
    }

    init(steps: Int) {
        counts = Array(repeating: 0, count: steps)
        gaps = Array(repeating: [], count: steps)
    }

    mutating func add(level: Int, times: [Int64], breakdownValue: String?, entryDay: Int64, steps: Int, ordered: Bool) {
        for k in 0..<level {
            counts[k] += 1
            if ordered, k > 0 { gaps[k].append(times[k] - times[k - 1]) }
        }
        if let breakdownValue {
            for k in 0..<level { breakdown[breakdownValue, default: Array(repeating: 0, count: steps)][k] += 1 }
        }
        count(day: entryDay, entered: 1, completed: level == steps ? 1 : 0)
    }

    /// Adds to a trend day, growing the day range as needed.
    mutating func count(day: Int64, entered: Int, completed: Int) {
        if trendEntered.isEmpty { trendBase = day }
        if day < trendBase {
            let grow = Int(trendBase - day)
            trendEntered.insert(contentsOf: repeatElement(0, count: grow), at: 0)
            trendCompleted.insert(contentsOf: repeatElement(0, count: grow), at: 0)
            trendBase = day
        }
        let k = Int(day - trendBase)
        if k >= trendEntered.count {
            trendEntered += repeatElement(0, count: k - trendEntered.count + 1)
            trendCompleted += repeatElement(0, count: k - trendCompleted.count + 1)
        }
        trendEntered[k] += entered
        trendCompleted[k] += completed
    }

    mutating func merge(_ other: FunnelTally) {
        for k in counts.indices { counts[k] += other.counts[k]; gaps[k] += other.gaps[k] }
        for (value, row) in other.breakdown {
            breakdown[value] = zip(breakdown[value] ?? Array(repeating: 0, count: counts.count), row).map(+)
        }
        for (day, point) in other.trend { count(day: day, entered: point.0, completed: point.1) }
    }

    func report(_ query: FunnelQuery) -> FunnelReport {
        let names = query.steps.map(\.name)
        let steps = Self.steps(counts, names: names, unit: query.unit, gaps: gaps)
        var biggest: FunnelReport.Leak?
        var lowest: FunnelReport.Leak?
        for k in 1..<steps.count where counts[k - 1] > 0 {
            let leak = FunnelReport.Leak(from: names[k - 1], to: names[k], lost: counts[k - 1] - counts[k],
                                         rate: Double(counts[k]) / Double(counts[k - 1]))
            if leak.lost > 0, leak.lost > (biggest?.lost ?? 0) { biggest = leak }
            if leak.lost > 0, leak.rate < (lowest?.rate ?? 2) { lowest = leak }
        }
        var trendDays: [Int64: (Int, Int)] = [:]
        for (day, point) in trend {
            let start = query.interval == .day ? day : Timestamp.floorDivMod(day + 3, 7).0 * 7 - 3
            let mine = trendDays[start] ?? (0, 0)
            trendDays[start] = (mine.0 + point.0, mine.1 + point.1)
        }
        return FunnelReport(
            site: query.site, funnel: query.name, order: query.order.rawValue, windowSeconds: query.windowMillis / 1000, per: query.unit,
            from: query.from.map(Timestamp.formatRFC3339), to: query.to.map(Timestamp.formatRFC3339),
            segments: query.segments.map(\.description), timezone: query.calendar.identifier, steps: steps,
            biggestLeak: biggest, lowestRate: lowest,
            breakdown: query.breakdown == nil ? nil : breakdown.sorted { $0.value[0] != $1.value[0] ? $0.value[0] > $1.value[0] : $0.key < $1.key }
                .map { .init(value: $0.key, steps: Self.steps($0.value, names: names, unit: query.unit, gaps: nil)) },
            trend: trendDays.keys.sorted().map { day in
                let (entered, completed) = trendDays[day]!
                return .init(period: LocalCalendar.format(day: day), entered: entered, completed: completed,
                             rate: entered == 0 ? nil : Double(completed) / Double(entered))
            })
    }

    static func steps(_ counts: [Int], names: [String], unit: FunnelQuery.Unit, gaps: [[Int64]]?) -> [FunnelStepResult] {
        counts.indices.map { k in
            var median: Double?, p90: Double?
            if let gaps, k > 0, !gaps[k].isEmpty {
                var samples = [Samples(gaps[k].map { UInt32(clamping: $0 / 1000) })]
                (median, p90) = Quantile.medianAndP90(samples).map { ($0.0, $0.1) } ?? (nil, nil)
                samples[0].free()
            }
            return FunnelStepResult(
                name: names[k], count: counts[k], unit: unit,
                rateFromPrevious: k == 0 ? (counts[0] > 0 ? 1 : nil) : (counts[k - 1] > 0 ? Double(counts[k]) / Double(counts[k - 1]) : nil),
                rateFromStart: counts[0] > 0 ? Double(counts[k]) / Double(counts[0]) : nil,
                dropped: k == 0 ? 0 : counts[k - 1] - counts[k], medianSecondsFromPrevious: median, p90SecondsFromPrevious: p90)
        }
    }
}
