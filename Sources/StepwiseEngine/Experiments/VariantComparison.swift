import Foundation

/// A treatment against control on one metric (SPEC §4.7).
public struct VariantComparison: Sendable, Equatable, Codable {
    public enum Test: String, Sendable, Codable { case z, welchT = "welch_t" }

    /// Treatment minus control, with its 95 % interval.
    public var absoluteLift: Double
    public var absoluteCi95: [Double]
    /// Treatment over control minus 1, with its 95 % interval by the delta method; nil when control is 0.
    public var relativeLift: Double?
    public var relativeCi95: [Double]?
    public var pValue: Double
    public var test: Test
    /// P(treatment beats control) under a flat prior and a normal approximation of the effect.
    public var chanceToBeatControl: Double
    /// An always-valid 95 % interval on the absolute lift: it may be looked at after every
    /// event without inflating false positives (asymptotic confidence sequence).
    public var sequentialCi95: [Double]

    /// Two proportions: z-test with the pooled variance for the p-value, unpooled for intervals.
    public static func proportions(control: (conversions: Int, persons: Int), treatment: (conversions: Int, persons: Int)) -> VariantComparison? {
        guard control.persons > 1, treatment.persons > 1 else { return nil }
        let pc = Double(control.conversions) / Double(control.persons), pt = Double(treatment.conversions) / Double(treatment.persons)
        let vc = pc * (1 - pc) / Double(control.persons), vt = pt * (1 - pt) / Double(treatment.persons)
        let table = TwoByTwo(a: treatment.conversions, b: treatment.persons - treatment.conversions,
                             c: control.conversions, d: control.persons - control.conversions)
        return make(control: pc, treatment: pt, varianceControl: vc, varianceTreatment: vt, persons: control.persons + treatment.persons,
                    pValue: table.zTestPValue, test: .z, critical: Rate.z95)
    }

    /// Two means (revenue per person): Welch's t-test; `variance` is the sample variance (n − 1).
    public static func means(control: (persons: Int, mean: Double, variance: Double), treatment: (persons: Int, mean: Double, variance: Double))
        -> VariantComparison?
    {
        guard control.persons > 1, treatment.persons > 1 else { return nil }
        let vc = control.variance / Double(control.persons), vt = treatment.variance / Double(treatment.persons)
        let se = (vc + vt).squareRoot()
        let diff = treatment.mean - control.mean
        let df = (vc + vt) * (vc + vt) / (vc * vc / Double(control.persons - 1) + vt * vt / Double(treatment.persons - 1))
        let p = se > 0 ? SpecialFunctions.studentTwoSided(diff / se, df: df) : (diff == 0 ? 1 : 0)
        let critical = df.isFinite ? studentQuantile975(df: df) : Rate.z95
        return make(control: control.mean, treatment: treatment.mean, varianceControl: vc, varianceTreatment: vt,
                    persons: control.persons + treatment.persons, pValue: p, test: .welchT, critical: critical)
    }

    private static func make(control: Double, treatment: Double, varianceControl vc: Double, varianceTreatment vt: Double, persons: Int,
                             pValue: Double, test: Test, critical: Double) -> VariantComparison {
        let diff = treatment - control
        let se = (vc + vt).squareRoot()
        var relative: Double?, relativeCi: [Double]?
        if control != 0 {
            let ratio = treatment / control
            // Delta method: Var(T/C) ≈ Var(T)/C² + T²·Var(C)/C⁴.
            let seRatio = (vt / (control * control) + treatment * treatment * vc / pow(control, 4)).squareRoot()
            relative = ratio - 1
            relativeCi = [ratio - 1 - critical * seRatio, ratio - 1 + critical * seRatio]
        }
        let chance = se > 0 ? NormalDistribution.cdf(diff / se) : (diff > 0 ? 1 : diff < 0 ? 0 : 0.5)
        let half = ConfidenceSequence.halfWidth(standardError: se, persons: Double(persons))
        return VariantComparison(absoluteLift: diff, absoluteCi95: [diff - critical * se, diff + critical * se],
                                 relativeLift: relative, relativeCi95: relativeCi, pValue: pValue, test: test,
                                 chanceToBeatControl: chance, sequentialCi95: [diff - half, diff + half])
    }

    /// The 97.5 % quantile of Student's t, by bisection on the two-sided tail.
    static func studentQuantile975(df: Double) -> Double {
        var low = 0.0, high = 1000.0
        for _ in 0..<200 {
            let middle = (low + high) / 2
            if SpecialFunctions.studentTwoSided(middle, df: df) > 0.05 { low = middle } else { high = middle }
            if high - low < 1e-13 { break }
        }
        return (low + high) / 2
    }
}

/// The asymptotic confidence sequence of Waudby-Smith et al. (2021, "Time-uniform central limit
/// theory"): with n units and a per-unit standard deviation σ, the half-width is
/// σ·√(2(nρ²+1)/(n²ρ²) · ln(√(nρ²+1)/α)). For a difference of two means σ = se·√n. ρ is tuned
/// to be tightest at `tunedFor` persons (10,000), fixed in advance so peeking stays valid.
public enum ConfidenceSequence {
    public static let tunedFor = 10_000.0

    public static func halfWidth(standardError se: Double, persons n: Double, alpha: Double = 0.05) -> Double {
        let rho2 = (-2 * log(alpha) + log(-2 * log(alpha) + 1)) / tunedFor
        let sigma = se * n.squareRoot()
        return sigma * (2 * (n * rho2 + 1) / (n * n * rho2) * log((n * rho2 + 1).squareRoot() / alpha)).squareRoot()
    }
}
