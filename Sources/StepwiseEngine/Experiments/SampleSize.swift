import Foundation

/// How many persons a two-proportion test needs (SPEC §4.7 planning), by the classic formula
/// n = (z₁₋α/₂ √(2 p̄ q̄) + z₁₋β √(p₁q₁ + p₂q₂))² / (p₁ − p₂)² per variant, where p₂ is the
/// baseline moved by the minimum detectable effect (relative) and p̄ their mean.
public struct SampleSize: Sendable, Equatable, Codable {
    public var baseline: Double
    /// Relative minimum detectable effect: 0.1 finds a move from 4 % to 4.4 %.
    public var relativeMde: Double
    public var target: Double
    public var power: Double
    public var alpha: Double
    public var variants: Int
    public var personsPerVariant: Int
    public var totalPersons: Int
    public var dailyPersons: Int?
    /// Days to reach `totalPersons` at `dailyPersons` (all traffic in the test).
    public var days: Int?

    public struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        public var field: String
        public var reason: String
        public var description: String { "\(field): \(reason)" }
    }

    public init(baseline: Double, relativeMde: Double, power: Double = 0.8, alpha: Double = 0.05, variants: Int = 2,
                dailyPersons: Int? = nil) throws(Invalid) {
        guard baseline > 0, baseline < 1 else { throw Invalid(field: "baseline", reason: "must be a rate between 0 and 1, e.g. 0.04") }
        guard relativeMde != 0, relativeMde.isFinite else { throw Invalid(field: "mde", reason: "must be a relative change other than 0, e.g. 10%") }
        let target = baseline * (1 + relativeMde)
        guard target > 0, target < 1 else {
            throw Invalid(field: "mde", reason: "moves the baseline \(baseline) to \(target), outside 0 to 1")
        }
        guard power > 0, power < 1 else { throw Invalid(field: "power", reason: "must be between 0 and 1, e.g. 0.8") }
        guard alpha > 0, alpha < 1 else { throw Invalid(field: "alpha", reason: "must be between 0 and 1, e.g. 0.05") }
        guard (2...100).contains(variants) else { throw Invalid(field: "variants", reason: "must be from 2 (control and one treatment) to 100") }
        if let dailyPersons, dailyPersons < 1 { throw Invalid(field: "daily_persons", reason: "must be at least 1") }
        let n = Self.personsPerVariant(baseline, target, power: power, alpha: alpha)
        guard n.isFinite, n < 1e12 else {
            throw Invalid(field: "mde", reason: "is too small to detect: it would take more than 10¹² persons per variant")
        }
        self.baseline = baseline
        self.relativeMde = relativeMde
        self.target = target
        self.power = power
        self.alpha = alpha
        self.variants = variants
        self.dailyPersons = dailyPersons
        personsPerVariant = Int(n.rounded(.up))
        totalPersons = personsPerVariant * variants
        days = dailyPersons.map { (totalPersons + $0 - 1) / $0 }
    }

    /// The formula's n, unrounded.
    static func personsPerVariant(_ p1: Double, _ p2: Double, power: Double, alpha: Double) -> Double {
        let zAlpha = NormalDistribution.quantile(1 - alpha / 2), zBeta = NormalDistribution.quantile(power)
        let mean = (p1 + p2) / 2
        let root = zAlpha * (2 * mean * (1 - mean)).squareRoot() + zBeta * (p1 * (1 - p1) + p2 * (1 - p2)).squareRoot()
        return root * root / ((p1 - p2) * (p1 - p2))
    }

    /// `10%` or `0.1` (both a relative 10 %), `-5%` for a drop.
    public static func parseRelative(_ text: String) throws(Invalid) -> Double {
        let percent = text.hasSuffix("%")
        guard let value = Double(percent ? String(text.dropLast()) : text), value.isFinite else {
            throw Invalid(field: "mde", reason: "'\(text)' is not a relative change; write 10% or 0.1")
        }
        return percent ? value / 100 : value
    }
}
