/// Deterministic experiment assignment: variant = weighted bucket of hash(experiment, person).
/// Same person, same variant, on every node and after every restart (SPEC §4.7).
public enum ExperimentAssignment {
    /// FNV-1a 64 of `experiment:person`, reduced to a bucket in 0..<10_000.
    public static func bucket(experiment: String, person: String) -> Int {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in experiment.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        hash = (hash ^ 0x3A) &* 0x100_0000_01B3
        for byte in person.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        // Final avalanche so that nearby person ids spread evenly across buckets.
        hash ^= hash >> 33
        hash = hash &* 0xFF51_AFD7_ED55_8CCD
        hash ^= hash >> 33
        return Int(hash % 10_000)
    }

    public static func variant(experiment: String, person: String, weights: [(String, Int)]) -> String {
        let total = weights.reduce(0) { $0 + $1.1 }
        precondition(total > 0, "experiment weights must sum to more than zero")
        let point = bucket(experiment: experiment, person: person) * total / 10_000
        var cumulative = 0
        for (name, weight) in weights {
            cumulative += weight
            if point < cumulative { return name }
        }
        return weights[weights.count - 1].0
    }
}
