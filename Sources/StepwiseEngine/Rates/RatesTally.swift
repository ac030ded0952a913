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
        let summaries = samples.map {
            Summaries(fromFirstVisit: $0.firstVisit, fromSessionStart: $0.sessionStart, frequency: $0.frequency, recency: $0.recency)
        }
        return report(query: query, buckets: context.buckets, stepPairs: context.stepPairs, summaries: summaries)
    }

    /// A definition's quantiles and distributions, however they were found.
    struct Summaries {
        var fromFirstVisit: DurationSummary?
        var fromSessionStart: DurationSummary?
        var frequency: Frequency?
        var recency: Recency?
    }

    /// The report from the counts and each definition's summaries: the one place either
    /// backend's numbers become a `RatesReport`.
    func report(query: RatesQuery, buckets: SeriesBuckets, stepPairs: [(funnel: String, from: Int, to: Int)],
                summaries: [Summaries]) -> RatesReport {
        let conversions = query.plan.conversions
        let definitions = conversions.enumerated().map { d, definition in
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
                timeToComplete: TimeToComplete(fromFirstVisit: summaries[d].fromFirstVisit, fromSessionStart: summaries[d].fromSessionStart),
                frequency: summaries[d].frequency, recency: summaries[d].recency)
        }
        return RatesReport(
            site: query.site, from: query.from.map(Timestamp.formatRFC3339), to: query.to.map(Timestamp.formatRFC3339),
            segments: query.segments.map(\.description), interval: query.interval, timezone: query.plan.calendar.identifier,
            includeBots: query.includeBots,
            sessionTimeoutSeconds: query.plan.sessionTimeoutMillis / 1000, persons: personsActive, sessions: sessions,
            definitions: definitions,
            stepRates: stepPairs.enumerated().map { k, pair in
                StepRate(funnel: pair.funnel, from: conversions[pair.from].name, to: conversions[pair.to].name,
                         rate: Rate(stepPersons[2 * k + 1], of: stepPersons[2 * k], kind: .audience))
            })
    }

    /// Consecutive steps of the plan's funnels that are both definitions (SPEC §4.1 step-to-step
    /// rates), by definition index.
    static func stepPairs(of plan: TrackingPlan) -> [(funnel: String, from: Int, to: Int)] {
        let index = Dictionary(plan.conversions.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
        return plan.funnels.flatMap { funnel in
            zip(funnel.steps, funnel.steps.dropFirst()).compactMap { a, b -> (String, Int, Int)? in
                guard case .definition(let from) = a, case .definition(let to) = b, let i = index[from], let j = index[to] else { return nil }
                return (funnel.name, i, j)
            }
        }
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
        var tally = FrequencyTally()
        var small = [Int](repeating: 0, count: Samples.smallLimit)
        for part in frequencies {
            part.addSmallCounts(to: &small)
            part.forEachChunk { chunk in for value in chunk { tally.add(value, times: 1) } }
        }
        for (value, times) in small.enumerated() where times > 0 { tally.add(UInt32(value), times: times) }
        return tally.frequency(median: median, p90: p90)
    }

    private static func durations(_ parts: [Samples], secondsPerUnit: Double) -> DurationSummary? {
        guard let (median, p90) = Quantile.medianAndP90(parts) else { return nil }
        return DurationSummary(count: parts.reduce(0) { $0 + $1.count }, medianSeconds: median * secondsPerUnit, p90Seconds: p90 * secondsPerUnit)
    }
}
