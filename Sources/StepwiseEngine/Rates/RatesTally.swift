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
    /// quantiles, one metric of one definition per core at a time.
    mutating func report(query: RatesQuery, context: ScanContext) -> RatesReport {
        let n = completions.count
        let samples = (0..<n).map { d in SampleBox(SampleMetric.allCases.map { self.samples[$0.rawValue * n + d] }) }
        self.samples = []
        let metrics = SampleMetric.allCases
        DispatchQueue.concurrentPerform(iterations: n * metrics.count) { k in
            samples[k / metrics.count].summarise(metrics[k % metrics.count], asOf: context.asOf)
        }
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

/// One definition's samples; each metric is summarised (and freed) by one worker, which
/// writes only that metric's field.
private final class SampleBox: @unchecked Sendable {
    private let parts: [[Samples]]
    var firstVisit: DurationSummary?
    var sessionStart: DurationSummary?
    var frequency: Frequency?
    var recency: Recency?

    /// `parts[metric]`: every worker's samples of that metric.
    init(_ parts: [[Samples]]) { self.parts = parts }

    func summarise(_ metric: SampleMetric, asOf: Int64) {
        // The copy frees the chunks; `parts` is not read again.
        var samples = parts[metric.rawValue]
        defer { for i in samples.indices { samples[i].free() } }
        switch metric {
        case .fromFirstVisit: firstVisit = Self.durations(samples, secondsPerUnit: 1)
        case .fromSessionStart: sessionStart = Self.durations(samples, secondsPerUnit: 0.001)
        case .frequency: frequency = Self.frequency(samples)
        case .recency:
            if let (median, p90) = Quantile.medianAndP90(samples) {
                recency = Recency(asOf: Timestamp.formatRFC3339(asOf), medianDays: median / 86_400, p90Days: p90 / 86_400)
            }
        }
    }

    private static func frequency(_ frequencies: [Samples]) -> Frequency? {
        guard let (median, p90) = Quantile.medianAndP90(frequencies) else { return nil }
        let labels: [(String, ClosedRange<UInt32>)] = [("1", 1...1), ("2", 2...2), ("3", 3...3), ("4-5", 4...5), ("6-10", 6...10), ("11+", 11...UInt32.max)]
        var distribution = [Int](repeating: 0, count: labels.count)
        var total = 0, count = 0
        func add(_ value: UInt32, times: Int) {
            count += times
            guard value > 0 else { return }
            distribution[value <= 3 ? Int(value) - 1 : value <= 5 ? 3 : value <= 10 ? 4 : 5] += times
            total += Int(value) * times
        }
        var small = [Int](repeating: 0, count: Samples.smallLimit)
        for part in frequencies {
            part.addSmallCounts(to: &small)
            part.forEachChunk { chunk in for value in chunk { add(value, times: 1) } }
        }
        for (value, times) in small.enumerated() where times > 0 { add(UInt32(value), times: times) }
        return Frequency(mean: Double(total) / Double(count), median: median, p90: p90,
                         distribution: zip(labels, distribution).map { .init(completions: $0.0, persons: $1) })
    }

    private static func durations(_ parts: [Samples], secondsPerUnit: Double) -> DurationSummary? {
        guard let (median, p90) = Quantile.medianAndP90(parts) else { return nil }
        return DurationSummary(count: parts.reduce(0) { $0 + $1.count }, medianSeconds: median * secondsPerUnit, p90Seconds: p90 * secondsPerUnit)
    }
}
