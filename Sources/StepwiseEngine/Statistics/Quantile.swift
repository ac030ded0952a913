/// Quantiles the way numpy's default computes them (linear interpolation between the closest
/// ranks), so they can be checked against it.
///
/// Exact, in two streaming passes and no sorting: a histogram of the high half of the bits
/// the samples use finds the bucket of each wanted rank, a histogram of the low half inside
/// those buckets the value. Sized by the largest sample, both histograms stay small (2,048
/// slots for durations up to a month in seconds) where fixed 16-bit halves cost megabytes.
enum Quantile {
    /// Median and 90th percentile of all parts' samples; nil when there are none.
    static func medianAndP90(_ parts: [Samples]) -> (Double, Double)? {
        let count = parts.reduce(0) { $0 + $1.count }
        guard count > 0 else { return nil }
        return interpolate(count: count, values: select(parts, ranks: ranks(count: count)).map(Double.init))
    }

    /// The 0-based ranks, in sorted order, of the values the median and the 90th percentile of
    /// `count > 0` samples lie between: two per quantile, `floor((count - 1) * q)` and the next.
    /// A store that sorts in SQL picks the same ranks (`OrderStatistics`).
    static func ranks(count: Int) -> [Int] {
        [0.5, 0.9].flatMap { q -> [Int] in
            let low = Int((Double(count - 1) * q).rounded(.down))
            return [low, min(low + 1, count - 1)]
        }
    }

    /// Median and 90th percentile from the values at `ranks(count:)`.
    static func interpolate(count: Int, values: [Double]) -> (Double, Double) {
        func at(_ q: Int, _ level: Double) -> Double {
            let h = Double(count - 1) * level, lower = values[2 * q], upper = values[2 * q + 1]
            return lower + (h - h.rounded(.down)) * (upper - lower)
        }
        return (at(0, 0.5), at(1, 0.9))
    }

    /// Median and 90th percentile of samples given as a histogram (value, how many), in any order.
    static func medianAndP90(histogram: [(value: Double, count: Int)]) -> (Double, Double)? {
        let sorted = histogram.filter { $0.count > 0 }.sorted { $0.value < $1.value }
        let count = sorted.reduce(0) { $0 + $1.count }
        guard count > 0 else { return nil }
        let values = ranks(count: count).map { rank -> Double in
            var seen = 0
            for bin in sorted {
                seen += bin.count
                if rank < seen { return bin.value }
            }
            return sorted.last!.value
        }
        return interpolate(count: count, values: values)
    }

    /// The values at the given 0-based ranks of the sorted samples. Small values, counted
    /// rather than stored, come first.
    static func select(_ parts: [Samples], ranks: [Int]) -> [UInt32] {
        var small = [Int](repeating: 0, count: Samples.smallLimit)
        for part in parts { part.addSmallCounts(to: &small) }
        let smallCount = small.reduce(0, +)
        let storedRanks = ranks.filter { $0 >= smallCount }.map { $0 - smallCount }
        let found = storedRanks.isEmpty ? [] : selectStored(parts, ranks: storedRanks)
        var next = 0
        return ranks.map { rank in
            guard rank < smallCount else {
                defer { next += 1 }
                return found[next]
            }
            var seen = 0, value = 0
            while seen + small[value] <= rank { seen += small[value]; value += 1 }
            return UInt32(value)
        }
    }

    private static func selectStored(_ parts: [Samples], ranks: [Int]) -> [UInt32] {
        let maximum = parts.map(\.maximum).max() ?? 0
        let bits = UInt32.bitWidth - maximum.leadingZeroBitCount
        let lowBits = (bits + 1) / 2
        let lowMask = UInt32(truncatingIfNeeded: (1 << lowBits) - 1)
        var high = [Int](repeating: 0, count: 1 << (bits - lowBits))
        high.withUnsafeMutableBufferPointer { high in
            for part in parts { part.forEachChunk { for value in $0 { high[Int(value >> lowBits)] += 1 } } }
        }
        // Each rank's high bucket, and its rank inside that bucket.
        var targets: [(bucket: Int, rank: Int)] = []
        for rank in ranks {
            var seen = 0, bucket = 0
            while seen + high[bucket] <= rank { seen += high[bucket]; bucket += 1 }
            targets.append((bucket, rank - seen))
        }
        let buckets = Array(Set(targets.map(\.bucket))).sorted()
        // `low[(slot - 1) << lowBits | low bits]` for the target buckets' slots 1...; slot 0 is the rest.
        var slotOfBucket = [UInt8](repeating: 0, count: high.count)
        for (b, bucket) in buckets.enumerated() { slotOfBucket[bucket] = UInt8(b + 1) }
        var low = [Int](repeating: 0, count: buckets.count << lowBits)
        low.withUnsafeMutableBufferPointer { low in
            slotOfBucket.withUnsafeBufferPointer { slotOfBucket in
                for part in parts {
                    part.forEachChunk { chunk in
                        for value in chunk {
                            let slot = Int(slotOfBucket[Int(value >> lowBits)])
                            if slot != 0 { low[(slot - 1) << lowBits | Int(value & lowMask)] += 1 }
                        }
                    }
                }
            }
        }
        return targets.map { target in
            let base = buckets.firstIndex(of: target.bucket)! << lowBits
            var seen = 0, value = 0
            while seen + low[base + value] <= target.rank { seen += low[base + value]; value += 1 }
            return UInt32(target.bucket << lowBits | value)
        }
    }
}
