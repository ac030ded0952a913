import Foundation

/// A 2×2 table of persons: exposed (did the micro) or not, by outcome (reached the macro or not).
///
/// The tests are the textbook ones so they can be checked against scipy: the pooled
/// two-proportion z-test, and Fisher's exact test (two-sided, scipy's "as or less likely"
/// rule) when an expected cell is under 5, where the normal approximation fails.
public struct TwoByTwo: Sendable, Equatable {
    /// Exposed and converted, exposed and not, unexposed and converted, unexposed and not.
    public var a: Int, b: Int, c: Int, d: Int

    public init(a: Int, b: Int, c: Int, d: Int) {
        self.a = a; self.b = b; self.c = c; self.d = d
    }

    public var exposed: Int { a + b }
    public var unexposed: Int { c + d }
    public var total: Int { a + b + c + d }

    public enum Test: String, Sendable, Codable { case z, fisher }

    /// Fisher when any expected cell count is below 5, else the z-test.
    public var preferredTest: Test {
        let n = Double(total)
        guard n > 0 else { return .z }
        let rows = [Double(exposed), Double(unexposed)], columns = [Double(a + c), Double(b + d)]
        return rows.contains { r in columns.contains { r * $0 / n < 5 } } ? .fisher : .z
    }

    /// Two-sided p-value of the preferred test; 1 when either group is empty.
    public var pValue: (Double, Test) {
        let test = preferredTest
        return (test == .z ? zTestPValue : fisherPValue, test)
    }

    /// Pooled two-proportion z-test, two-sided.
    public var zTestPValue: Double {
        guard exposed > 0, unexposed > 0 else { return 1 }
        let p1 = Double(a) / Double(exposed), p2 = Double(c) / Double(unexposed)
        let pooled = Double(a + c) / Double(total)
        let se = (pooled * (1 - pooled) * (1 / Double(exposed) + 1 / Double(unexposed))).squareRoot()
        guard se > 0 else { return 1 }
        return erfc(abs(p1 - p2) / se / 2.0.squareRoot())
    }

    /// Fisher's exact test, two-sided: the probability of every table with these margins
    /// that is no more likely than the observed one.
    public var fisherPValue: Double {
        let row1 = exposed, column1 = a + c, n = total
        guard row1 > 0, unexposed > 0, column1 > 0, column1 < n else { return 1 }
        let low = max(0, row1 + column1 - n), high = min(row1, column1)
        func logP(_ x: Int) -> Double {
            logChoose(column1, x) + logChoose(n - column1, row1 - x) - logChoose(n, row1)
        }
        let observed = logP(a)
        // scipy's relative tolerance, so tables equal to the observed one up to rounding count.
        let bound = observed + log1p(1e-7)
        var p = 0.0
        for x in low...high {
            let lp = logP(x)
            if lp <= bound { p += exp(lp) }
        }
        // Summing every table gives 1 up to rounding: report it as 1, like scipy.
        return p > 1 - 1e-9 ? 1 : p
    }

    /// Ratio of the exposed group's rate to the unexposed group's; nil when either is undefined
    /// or the unexposed rate is 0.
    public var lift: Double? {
        guard exposed > 0, unexposed > 0, c > 0 else { return nil }
        return (Double(a) / Double(exposed)) / (Double(c) / Double(unexposed))
    }

    /// 95 % interval of the lift by the log method (Katz): ln ratio ± z·√(1/a − 1/n₁ + 1/c − 1/n₂).
    /// nil when a or c is 0, where the log is undefined.
    public var liftInterval: [Double]? {
        guard let lift, a > 0, c > 0 else { return nil }
        let se = (1 / Double(a) - 1 / Double(exposed) + 1 / Double(c) - 1 / Double(unexposed)).squareRoot()
        return [exp(log(lift) - Rate.z95 * se), exp(log(lift) + Rate.z95 * se)]
    }
}

@inline(__always) func logChoose(_ n: Int, _ k: Int) -> Double {
    lgamma(Double(n + 1)) - lgamma(Double(k + 1)) - lgamma(Double(n - k + 1))
}
