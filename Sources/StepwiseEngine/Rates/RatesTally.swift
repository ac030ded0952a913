import StepwiseCore
import StepwisePlan

/// Counts and samples of a rates scan; workers' tallies merge by addition.
struct RatesTally: Sendable {
    let bucketCount: Int
    var personsActive = 0
    var sessions = 0
    var seriesActivePersons: [Int]
    var completions: [Int]
    var persons: [Int]
    var sessionCompletions: [Int]
    var value: [Double]
    var audienceSize: [Int]
    var audienceCompleted: [Int]
    /// Flattened `[definition][bucket]`.
    var seriesCompletions: [Int]
    var seriesPersons: [Int]
    var fromFirstVisit: [[Int64]]
    var fromSessionStart: [[Int64]]
    var frequencies: [[Int32]]
    var recencies: [[Int64]]

    init(definitions n: Int, buckets: Int) {
        bucketCount = buckets
        seriesActivePersons = Array(repeating: 0, count: buckets)
        completions = Array(repeating: 0, count: n)
        persons = completions
        sessionCompletions = completions
        value = Array(repeating: 0, count: n)
        audienceSize = completions
        audienceCompleted = completions
        seriesCompletions = Array(repeating: 0, count: n * buckets)
        seriesPersons = seriesCompletions
        fromFirstVisit = Array(repeating: [], count: n)
        fromSessionStart = fromFirstVisit
        frequencies = Array(repeating: [], count: n)
        recencies = fromFirstVisit
    }

    mutating func merge(_ other: RatesTally) {
        func add(_ a: inout [Int], _ b: [Int]) { for i in a.indices { a[i] += b[i] } }
        personsActive += other.personsActive
        sessions += other.sessions
        add(&seriesActivePersons, other.seriesActivePersons)
        add(&completions, other.completions)
        add(&persons, other.persons)
        add(&sessionCompletions, other.sessionCompletions)
        for i in value.indices { value[i] += other.value[i] }
        add(&audienceSize, other.audienceSize)
        add(&audienceCompleted, other.audienceCompleted)
        add(&seriesCompletions, other.seriesCompletions)
        add(&seriesPersons, other.seriesPersons)
        for d in completions.indices {
            fromFirstVisit[d] += other.fromFirstVisit[d]
            fromSessionStart[d] += other.fromSessionStart[d]
            frequencies[d] += other.frequencies[d]
            recencies[d] += other.recencies[d]
        }
    }

    func report(query: RatesQuery, context: ScanContext) -> RatesReport {
        let buckets = context.buckets
        let definitions = context.definitions.enumerated().map { d, definition in
            let series = (0..<bucketCount).map { b in
                SeriesPoint(
                    start: buckets.startDay(b), completions: seriesCompletions[d * bucketCount + b],
                    persons: seriesPersons[d * bucketCount + b],
                    perPerson: Rate(seriesPersons[d * bucketCount + b], of: seriesActivePersons[b], kind: .persons))
            }
            let frequency: Frequency? = frequencies[d].isEmpty ? nil : {
                let sorted = frequencies[d].map(Double.init).sorted()
                let labels: [(String, ClosedRange<Int32>)] = [("1", 1...1), ("2", 2...2), ("3", 3...3), ("4-5", 4...5), ("6-10", 6...10), ("11+", 11...Int32.max)]
                return Frequency(
                    mean: sorted.reduce(0, +) / Double(sorted.count), median: Quantile.of(sorted, 0.5), p90: Quantile.of(sorted, 0.9),
                    distribution: labels.map { label, range in .init(completions: label, persons: frequencies[d].count { range.contains($0) }) })
            }()
            let recency: Recency? = recencies[d].isEmpty ? nil : {
                let days = recencies[d].map { Double($0) / 86_400_000 }.sorted()
                return Recency(asOf: Timestamp.formatRFC3339(context.asOf), medianDays: Quantile.of(days, 0.5), p90Days: Quantile.of(days, 0.9))
            }()
            return DefinitionRates(
                name: definition.name, kind: definition.kind.rawValue, description: definition.description,
                type: definition.type?.rawValue, intent: definition.intent?.rawValue, stage: definition.stage?.rawValue,
                count: definition.count.rawValue, completions: completions[d], persons: persons[d], sessions: sessionCompletions[d],
                value: definition.value == nil ? nil : value[d],
                perPerson: Rate(persons[d], of: personsActive, kind: .persons),
                perSession: Rate(sessionCompletions[d], of: sessions, kind: .sessions),
                perAudience: definition.denominator == nil ? nil : Rate(audienceCompleted[d], of: audienceSize[d], kind: .audience),
                audience: definition.denominator.map(Self.describe),
                series: series,
                timeToComplete: TimeToComplete(
                    fromFirstVisit: DurationSummary(millis: fromFirstVisit[d]), fromSessionStart: DurationSummary(millis: fromSessionStart[d])),
                frequency: frequency, recency: recency)
        }
        return RatesReport(
            site: query.site, from: query.from.map(Timestamp.formatRFC3339), to: query.to.map(Timestamp.formatRFC3339),
            segments: query.segments.map(\.description), interval: query.interval, includeBots: query.includeBots,
            sessionTimeoutSeconds: query.plan.sessionTimeoutMillis / 1000, persons: personsActive, sessions: sessions,
            definitions: definitions)
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

extension DurationSummary {
    init?(millis: [Int64]) {
        guard !millis.isEmpty else { return nil }
        let seconds = millis.map { Double($0) / 1000 }.sorted()
        self.init(count: seconds.count, medianSeconds: Quantile.of(seconds, 0.5), p90Seconds: Quantile.of(seconds, 0.9))
    }
}

/// Quantiles the way numpy's default (linear interpolation between closest ranks) computes
/// them, so they can be checked against it.
enum Quantile {
    static func of(_ sorted: [Double], _ q: Double) -> Double {
        precondition(!sorted.isEmpty)
        let h = Double(sorted.count - 1) * q
        let lower = Int(h.rounded(.down))
        let upper = min(lower + 1, sorted.count - 1)
        return sorted[lower] + (h - Double(lower)) * (sorted[upper] - sorted[lower])
    }
}
