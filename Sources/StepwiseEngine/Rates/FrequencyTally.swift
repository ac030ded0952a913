/// Completions per completing person, counted into the report's `Frequency`: the embedded
/// scan adds its samples one by one, another store its histogram.
struct FrequencyTally {
    static let labels: [(String, ClosedRange<UInt32>)] = [
        ("1", 1...1), ("2", 2...2), ("3", 3...3), ("4-5", 4...5), ("6-10", 6...10), ("11+", 11...UInt32.max),
    ]
    private var distribution = [Int](repeating: 0, count: labels.count)
    private var total = 0
    private var count = 0

    /// `times` persons with `value` completions.
    mutating func add(_ value: UInt32, times: Int) {
        count += times
        guard value > 0 else { return }
        distribution[value <= 3 ? Int(value) - 1 : value <= 5 ? 3 : value <= 10 ? 4 : 5] += times
        total += Int(value) * times
    }

    func frequency(median: Double, p90: Double) -> Frequency {
        Frequency(mean: Double(total) / Double(count), median: median, p90: p90,
                  distribution: zip(Self.labels, distribution).map { .init(completions: $0.0, persons: $1) })
    }
}
