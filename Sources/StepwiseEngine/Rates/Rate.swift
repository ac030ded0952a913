/// A proportion with the base it was divided by: every rate Stepwise reports is one of these,
/// so no rate ever leaves without its denominator (SPEC §1).
public struct Rate: Sendable, Equatable, Codable {
    public enum DenominatorKind: String, Sendable, Codable { case persons, sessions, audience }

    public var numerator: Int
    public var denominator: Int
    public var denominatorKind: DenominatorKind
    /// nil when the denominator is 0: there is no rate to speak of.
    public var rate: Double?
    /// The 95 % Wilson score interval; nil when the denominator is 0.
    public var ci95: [Double]?

    public init(_ numerator: Int, of denominator: Int, kind: DenominatorKind) {
        self.numerator = numerator
        self.denominator = denominator
        self.denominatorKind = kind
        if denominator > 0 {
            rate = Double(numerator) / Double(denominator)
            let interval = Self.wilson(numerator, denominator)
            ci95 = [interval.lower, interval.upper]
        }
    }

    /// z for a two-sided 95 % interval: the 0.975 quantile of the standard normal.
    public static let z95 = 1.959963984540054

    /// The Wilson score interval (no continuity correction), which stays inside [0, 1] and
    /// behaves at 0 and n successes, unlike the normal approximation.
    public static func wilson(_ successes: Int, _ trials: Int, z: Double = z95) -> (lower: Double, upper: Double) {
        precondition(trials > 0 && successes >= 0 && successes <= trials)
        let n = Double(trials)
        let p = Double(successes) / n
        let z2 = z * z
        let centre = (p + z2 / (2 * n)) / (1 + z2 / n)
        let half = z / (1 + z2 / n) * (p * (1 - p) / n + z2 / (4 * n * n)).squareRoot()
        // Exact at the edges: floating point must not put 0 or n successes outside their bound.
        let lower = successes == 0 ? 0 : max(0, centre - half)
        let upper = successes == trials ? 1 : min(1, centre + half)
        return (lower, upper)
    }

    enum CodingKeys: String, CodingKey { case numerator, denominator, denominatorKind, rate, ci95 }

    /// Writes `rate` and `ci95` as explicit nulls rather than leaving the keys out.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(numerator, forKey: .numerator)
        try container.encode(denominator, forKey: .denominator)
        try container.encode(denominatorKind, forKey: .denominatorKind)
        try container.encode(rate, forKey: .rate)
        try container.encode(ci95, forKey: .ci95)
    }
}
