/// The expected range of a count (or a ratio) from its history, robust to the outliers a
/// broken deploy leaves in that history: centre the median, spread the MAD.
///
/// The MAD alone collapses to zero on a short, flat history, so sampling noise is added:
/// Poisson for counts (variance = the expected count), binomial for ratios (p(1 − p) / n of
/// the day judged), each with the noise of the median it is compared with.
/// σ² = (1.4826 · MAD)² + noise, and the robust z-score is (observed − median) / σ.
public struct RobustBand: Sendable, Equatable {
    public var expected: Double
    public var sigma: Double

    /// Scales the MAD to the standard deviation of a normal distribution.
    public static let madScale = 1.482_602_218_505_602

    public static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }

    /// Median absolute deviation from the median (unscaled).
    public static func mad(_ values: [Double]) -> Double? {
        guard let centre = median(values) else { return nil }
        return median(values.map { abs($0 - centre) })
    }

    /// The band for a count series. `widen` adds that fraction of the expected value as
    /// extra spread, for a history too short to show its own variation. The median of k
    /// Poisson days is itself uncertain (variance ≈ π/2 · λ / k): that noise counts too.
    ///
    /// A few weekly values can agree by chance, so `relativeNoise` (the series' own
    /// day-to-day variation as a share of its level, measured over many more days) sets the
    /// least spread: events cluster by visitor, so counts vary more than Poisson.
    public static func counts(history: [Double], widen: Double = 0, relativeNoise: Double = 0) -> RobustBand? {
        guard let centre = median(history), let mad = mad(history) else { return nil }
        let spread = max(madScale * mad, relativeNoise * centre), extra = widen * centre
        // Below four events a day, Poisson noise is taken as four: no alarm on 0 → 7.
        let noise = max(centre, 4) * (1 + Double.pi / 2 / Double(history.count))
        return RobustBand(expected: centre, sigma: (spread * spread + extra * extra + noise).squareRoot())
    }

    /// The typical relative change of a series from one week to the next (robust, per day):
    /// 1.4826 · MAD of (x − x₋₇) / mean(x, x₋₇), over √2 for the two days it compares.
    public static func relativeNoise(weekOverWeek pairs: [(now: Double, weekBefore: Double)]) -> Double {
        let changes = pairs.compactMap { pair -> Double? in
            let level = (pair.now + pair.weekBefore) / 2
            return level > 0 ? (pair.now - pair.weekBefore) / level : nil
        }
        guard changes.count >= 7, let mad = mad(changes) else { return 0 }
        return madScale * mad / 2.0.squareRoot()
    }

    /// The band for a ratio series judged on a day with `denominator` trials, its history
    /// drawn from `historyTrials` trials in all.
    public static func ratio(history: [Double], denominator: Double, historyTrials: Double, widen: Double = 0) -> RobustBand? {
        guard let centre = median(history), let mad = mad(history), denominator > 0, historyTrials > 0 else { return nil }
        let spread = madScale * mad, extra = widen * centre
        // A rate the history never saw move off 0 (or 1) is still uncertain by about one
        // event in its trials: without that, the first bot on a quiet day would alarm.
        let edge = 1 / (historyTrials + 2)
        let p = min(max(centre, edge), 1 - edge)
        // Event ratios can pass 1; keep some binomial noise however close p is to 1.
        let variance = max(p * (1 - p), 0.05 * p, 0.25 / denominator)
        let noise = variance * (1 / denominator + Double.pi / 2 / historyTrials)
        return RobustBand(expected: centre, sigma: (spread * spread + extra * extra + noise).squareRoot())
    }

    public func z(_ observed: Double) -> Double { (observed - expected) / sigma }
    /// The band a value must leave to be an anomaly at `threshold` robust standard deviations.
    public func range(_ threshold: Double) -> (low: Double, high: Double) {
        (max(expected - threshold * sigma, 0), expected + threshold * sigma)
    }
}
