import Foundation

/// The standard normal distribution.
public enum NormalDistribution {
    public static func cdf(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }

    /// The quantile (inverse CDF) for 0 < p < 1, by bisection on `cdf`: exact to the last few
    /// bits, and only ever called a handful of times per report.
    public static func quantile(_ p: Double) -> Double {
        precondition(p > 0 && p < 1, "a quantile needs 0 < p < 1")
        var low = -40.0, high = 40.0
        for _ in 0..<200 {
            let middle = (low + high) / 2
            if cdf(middle) < p { low = middle } else { high = middle }
            if high - low < 1e-15 { break }
        }
        return (low + high) / 2
    }
}
