import Dispatch
import StepwiseCore
import StepwisePlan

/// Counts and samples of a rates scan; workers' tallies merge by addition.
struct RatesTally: Sendable {
    let bucketCount: Int
    var personsActive = 0
    /// Per step pair: persons who did the first step, then persons who did both.
    var stepPersons: [Int] = []
    var sessions = 0
    var seriesActivePersons: [Int]
    var completions: [Int]
    var persons: [Int]
    var sessionsMatched: [Int]
    var value: [Double]
    var audienceSize: [Int]
    var audienceCompleted: [Int]
    /// Flattened `[definition][bucket]`.
    var seriesCompletions: [Int]
    var seriesPersons: [Int]
    /// `[metric * definitions + definition]`: each worker's samples, gathered only at the end.
    var samples: [[Samples]]

    init(definitions n: Int, buckets: Int) {
        bucketCount = buckets
        seriesActivePersons = Array(repeating: 0, count: buckets)
        completions = Array(repeating: 0, count: n)
        persons = completions
        sessionsMatched = completions
        value = Array(repeating: 0, count: n)
        audienceSize = completions
        audienceCompleted = completions
        seriesCompletions = Array(repeating: 0, count: n * buckets)
        seriesPersons = seriesCompletions
        samples = Array(repeating: [], count: SampleMetric.allCases.count * n)
    }

    mutating func merge(_ other: RatesTally) {
        func add(_ a: inout [Int], _ b: [Int]) { for i in a.indices { a[i] += b[i] } }
        personsActive += other.personsActive
        if stepPersons.isEmpty { stepPersons = other.stepPersons } else { for i in stepPersons.indices { stepPersons[i] += other.stepPersons[i] } }
        sessions += other.sessions
        add(&seriesActivePersons, other.seriesActivePersons)
        add(&completions, other.completions)
        add(&persons, other.persons)
        add(&sessionsMatched, other.sessionsMatched)
        for i in value.indices { value[i] += other.value[i] }
        add(&audienceSize, other.audienceSize)
        add(&audienceCompleted, other.audienceCompleted)
        add(&seriesCompletions, other.seriesCompletions)
        add(&seriesPersons, other.seriesPersons)
        for i in samples.indices { samples[i] += other.samples[i] }
    }

    /// Assembles the report; the samples are handed over (and reordered) to find their
    /// quantiles, one definition per core at a time.
    mutating func report(query: RatesQuery, context: ScanContext) -> RatesReport {
        let n = completions.count
        let samples = (0..<n).map { d in SampleBox(SampleMetric.allCases.map { self.samples[$0.rawValue * n + d] }) }
        self.samples = []
        DispatchQueue.concurrentPerform(iterations: n) { d in samples[d].summarise(asOf: context.asOf) }
        let buckets = context.buckets
        let definitions = context.definitions.enumerated().map { d, definition in
            let series = (0..<bucketCount).map { b in
                SeriesPoint(
                    start: LocalCalendar.format(day: buckets.startDay(b)), completions: seriesCompletions[d * bucketCount + b],
                    persons: seriesPersons[d * bucketCount + b],
                    perPerson: Rate(seriesPersons[d * bucketCount + b], of: seriesActivePersons[b], kind: .persons))
            }
            return DefinitionRates(
                name: definition.name, kind: definition.kind.rawValue, description: definition.description,
                type: definition.type?.rawValue, intent: definition.intent?.rawValue, stage: definition.stage?.rawValue,
                count: definition.count.rawValue, completions: completions[d], persons: persons[d], sessions: sessionsMatched[d],
                value: definition.value == nil ? nil : value[d],
                perPerson: Rate(persons[d], of: personsActive, kind: .persons),
                perSession: Rate(sessionsMatched[d], of: sessions, kind: .sessions),
                perAudience: definition.denominator == nil ? nil : Rate(audienceCompleted[d], of: audienceSize[d], kind: .audience),
                audience: definition.denominator.map(Self.describe),
                series: series,
                timeToComplete: TimeToComplete(fromFirstVisit: samples[d].firstVisit, fromSessionStart: samples[d].sessionStart),
                frequency: samples[d].frequency, recency: samples[d].recency)
        }
        return RatesReport(
            site: query.site, from: query.from.map(Timestamp.formatRFC3339), to: query.to.map(Timestamp.formatRFC3339),
            segments: query.segments.map(\.description), interval: query.interval, timezone: query.plan.calendar.identifier,
            includeBots: query.includeBots,
            sessionTimeoutSeconds: query.plan.sessionTimeoutMillis / 1000, persons: personsActive, sessions: sessions,
            definitions: definitions,
            stepRates: context.stepPairs.enumerated().map { k, pair in
                StepRate(funnel: pair.funnel, from: context.definitions[pair.from].name, to: context.definitions[pair.to].name,
                         rate: Rate(stepPersons[2 * k + 1], of: stepPersons[2 * k], kind: .audience))
            })
    }

    /// A denominator audience in words: `persons with pageview path /product/*`.
    static func describe(_ matcher: EventMatcher) -> String {
        var parts: [String] = [matcher.event ?? "any event"]
        if let path = matcher.path { parts.append("path \(path)") }
        if let url = matcher.url { parts.append("url \(url)") }
        if let referrer = matcher.referrer { parts.append("referrer \(referrer)") }
        for condition in matcher.props { parts.append("\(condition.key) \(condition.op.rawValue) \(text(condition.operand))") }
        if let nth = matcher.nthInSession { parts.append("nth_in_session \(nth)") }
        if let within = matcher.returnedWithinMillis { parts.append("returned_within \(within / 1000)s") }
        return "persons with " + parts.joined(separator: " ")
    }

    private static func text(_ operand: PropCondition.Operand) -> String {
        switch operand {
        case .string(let string): string
        case .number(let number): JSONWriter.formatNumber(number)
        case .bool(let flag): String(flag)
        case .list(let items): "[" + items.map(text).joined(separator: ", ") + "]"
        }
    }
}

/// One definition's samples, summarised (and freed) by one worker.
private final class SampleBox: @unchecked Sendable {
    private var parts: [[Samples]]
    var firstVisit: DurationSummary?
    var sessionStart: DurationSummary?
    var frequency: Frequency?
    var recency: Recency?

    /// `parts[metric]`: every worker's samples of that metric.
    init(_ parts: [[Samples]]) { self.parts = parts }

    func summarise(asOf: Int64) {
        defer { for m in parts.indices { for i in parts[m].indices { parts[m][i].free() } } }
        firstVisit = Self.durations(parts[SampleMetric.fromFirstVisit.rawValue], secondsPerUnit: 1)
        sessionStart = Self.durations(parts[SampleMetric.fromSessionStart.rawValue], secondsPerUnit: 0.001)
        let frequencies = parts[SampleMetric.frequency.rawValue]
        if let (median, p90) = Quantile.medianAndP90(frequencies) {
            let labels: [(String, ClosedRange<UInt32>)] = [("1", 1...1), ("2", 2...2), ("3", 3...3), ("4-5", 4...5), ("6-10", 6...10), ("11+", 11...UInt32.max)]
            var distribution = [Int](repeating: 0, count: labels.count)
            var total = 0, count = frequencies.reduce(0) { $0 + $1.zeros }
            for part in frequencies {
                part.forEachChunk { chunk in
                    for value in chunk {
                        distribution[value <= 3 ? Int(value) - 1 : value <= 5 ? 3 : value <= 10 ? 4 : 5] += 1
                        total += Int(value)
                    }
                    count += chunk.count
                }
            }
            frequency = Frequency(mean: Double(total) / Double(count), median: median, p90: p90,
                                  distribution: zip(labels, distribution).map { .init(completions: $0.0, persons: $1) })
        }
        if let (median, p90) = Quantile.medianAndP90(parts[SampleMetric.recency.rawValue]) {
            recency = Recency(asOf: Timestamp.formatRFC3339(asOf), medianDays: median / 86_400, p90Days: p90 / 86_400)
        }
    }

    private static func durations(_ parts: [Samples], secondsPerUnit: Double) -> DurationSummary? {
        guard let (median, p90) = Quantile.medianAndP90(parts) else { return nil }
        return DurationSummary(count: parts.reduce(0) { $0 + $1.count }, medianSeconds: median * secondsPerUnit, p90Seconds: p90 * secondsPerUnit)
    }
}

/// Quantiles the way numpy's default computes them (linear interpolation between the closest
/// ranks), so they can be checked against it.
///
/// Exact, in two streaming passes and no sorting: a histogram of the high 16 bits finds the
/// bucket of each wanted rank, a histogram of the low 16 bits inside those buckets the value.
enum Quantile {
    /// Median and 90th percentile of all parts' samples; nil when there are none.
    static func medianAndP90(_ parts: [Samples]) -> (Double, Double)? {
        let count = parts.reduce(0) { $0 + $1.count }
        guard count > 0 else { return nil }
        let positions = [0.5, 0.9].map { Double(count - 1) * $0 }
        let ranks = positions.flatMap { h in [Int(h.rounded(.down)), min(Int(h.rounded(.down)) + 1, count - 1)] }
        let values = select(parts, ranks: ranks)
        func interpolate(_ q: Int) -> Double {
            let h = positions[q], lower = Double(values[2 * q]), upper = Double(values[2 * q + 1])
            return lower + (h - h.rounded(.down)) * (upper - lower)
        }
        return (interpolate(0), interpolate(1))
    }

    /// The values at the given 0-based ranks of the sorted samples. Zeros, counted rather
    /// than stored, come first.
    static func select(_ parts: [Samples], ranks allRanks: [Int]) -> [UInt32] {
        let zeros = parts.reduce(0) { $0 + $1.zeros }
        let ranks = allRanks.filter { $0 >= zeros }.map { $0 - zeros }
        guard !ranks.isEmpty else { return allRanks.map { _ in 0 } }
        let found = selectStored(parts, ranks: ranks)
        var next = 0
        return allRanks.map { rank in
            guard rank >= zeros else { return 0 }
            defer { next += 1 }
            return found[next]
        }
    }

    private static func selectStored(_ parts: [Samples], ranks: [Int]) -> [UInt32] {
        var high = [Int](repeating: 0, count: 1 << 16)
        high.withUnsafeMutableBufferPointer { high in
            for part in parts { part.forEachChunk { for value in $0 { high[Int(value >> 16)] += 1 } } }
        }
        // Each rank's high bucket, and its rank inside that bucket.
        var targets: [(bucket: Int, rank: Int)] = []
        for rank in ranks {
            var seen = 0, bucket = 0
            while seen + high[bucket] <= rank { seen += high[bucket]; bucket += 1 }
            targets.append((bucket, rank - seen))
        }
        let buckets = Array(Set(targets.map(\.bucket))).sorted()
        // `low[slot << 16 | low 16 bits]`, slot 1... for the target buckets; slot 0 collects the rest.
        var slotOfBucket = [UInt8](repeating: 0, count: 1 << 16)
        for (b, bucket) in buckets.enumerated() { slotOfBucket[bucket] = UInt8(b + 1) }
        var low = [Int](repeating: 0, count: (buckets.count + 1) << 16)
        low.withUnsafeMutableBufferPointer { low in
            slotOfBucket.withUnsafeBufferPointer { slotOfBucket in
                for part in parts {
                    part.forEachChunk { chunk in
                        for value in chunk { low[Int(slotOfBucket[Int(value >> 16)]) << 16 | Int(value & 0xFFFF)] += 1 }
                    }
                }
            }
        }
        return targets.map { target in
            let base = (buckets.firstIndex(of: target.bucket)! + 1) << 16
            var seen = 0, value = 0
            while seen + low[base + value] <= target.rank { seen += low[base + value]; value += 1 }
            return UInt32(target.bucket << 16 | value)
        }
    }
}
