import Foundation

/// The tails of Student's t and the chi-square distribution, through the regularised incomplete
/// beta and gamma functions (continued fractions after Numerical Recipes, Lentz's method):
/// accurate to about 1e-12, which the scipy fixtures check.
public enum SpecialFunctions {
    /// Two-sided p-value of a t statistic with `df` degrees of freedom: I_{df/(df+t²)}(df/2, 1/2).
    public static func studentTwoSided(_ t: Double, df: Double) -> Double {
        guard t.isFinite else { return 0 }
        return regularizedBeta(df / (df + t * t), df / 2, 0.5)
    }

    /// Upper tail of the chi-square distribution: Q(k/2, x/2).
    public static func chiSquareSurvival(_ x: Double, df: Double) -> Double {
        guard x > 0 else { return 1 }
        return regularizedGammaQ(df / 2, x / 2)
    }

    /// I_x(a, b).
    static func regularizedBeta(_ x: Double, _ a: Double, _ b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x))
        if x < (a + 1) / (a + b + 2) { return front * betaFraction(x, a, b) / a }
        return 1 - front * betaFraction(1 - x, b, a) / b
    }

    private static func betaFraction(_ x: Double, _ a: Double, _ b: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0, d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1...10_000 {
            let m = Double(m), m2 = 2 * m
            var step = m * (b - m) * x / ((a + m2 - 1) * (a + m2))
            d = 1 + step * d; if abs(d) < tiny { d = tiny }
            c = 1 + step / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            h *= d * c
            step = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1))
            d = 1 + step * d; if abs(d) < tiny { d = tiny }
            c = 1 + step / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-15 { break }
        }
        return h
    }

    /// Q(a, x) = Γ(a, x) / Γ(a).
    static func regularizedGammaQ(_ a: Double, _ x: Double) -> Double {
        if x < a + 1 {
            // Series for P, then its complement.
            var sum = 1 / a, term = sum, ap = a
            for _ in 0..<10_000 {
                ap += 1
                term *= x / ap
                sum += term
                if abs(term) < abs(sum) * 1e-16 { break }
            }
            return 1 - sum * exp(-x + a * log(x) - lgamma(a))
        }
        let tiny = 1e-300
        var b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d
        for i in 1...10_000 {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = an * d + b; if abs(d) < tiny { d = tiny }
            c = b + an / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-15 { break }
        }
        return exp(-x + a * log(x) - lgamma(a)) * h
    }
}
