import Foundation

/// How a conversion's credit is shared among the sessions that led to it (SPEC §4.6).
///
/// Every model gives each conversion exactly 1 credit in all, so credit sums to the
/// conversion count (and credit × value to the revenue) whatever the model.
public enum AttributionModel: String, Sendable, Codable, CaseIterable {
    case first
    case lastNonDirect = "last_non_direct"
    case linear
    case timeDecay = "time_decay"
    case position

    /// Time decay halves a touchpoint's weight for every 7 days it lies before the conversion.
    public static let halfLifeMillis: Int64 = 7 * 86_400_000

    /// Each touchpoint's share of one conversion. `touchpoints` are in time order with their
    /// start times and whether they are direct; `conversion` is the conversion's time.
    public func weights(starts: [Int64], direct: [Bool], conversion: Int64) -> [Double] {
        let n = starts.count
        guard n > 0 else { return [] }
        var weights = [Double](repeating: 0, count: n)
        switch self {
        case .first:
            weights[0] = 1
        case .lastNonDirect:
            // GA4: direct never takes the credit from an earlier non-direct touchpoint; an
            // all-direct path credits its last session.
            weights[direct.lastIndex(of: false) ?? n - 1] = 1
        case .linear:
            for k in 0..<n { weights[k] = 1 / Double(n) }
        case .timeDecay:
            let raw = starts.map { Self.decay(age: conversion - $0) }
            let total = raw.reduce(0, +)
            for k in 0..<n { weights[k] = raw[k] / total }
        case .position:
            // 40 % to the first, 40 % to the last, 20 % shared by the middle; with no middle,
            // first and last split it all.
            if n == 1 { weights[0] = 1 }
            else if n == 2 { weights[0] = 0.5; weights[1] = 0.5 }
            else {
                weights[0] = 0.4; weights[n - 1] = 0.4
                for k in 1..<(n - 1) { weights[k] = 0.2 / Double(n - 2) }
            }
        }
        return weights
    }

    static func decay(age: Int64) -> Double {
        pow(2, -Double(max(age, 0)) / Double(halfLifeMillis))
    }

    /// Models from a comma-separated list (`first,linear`), or every model for `all`.
    public static func parse(_ text: String) throws(PredictQuery.Invalid) -> [AttributionModel] {
        if text == "all" { return allCases }
        var models: [AttributionModel] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let model = AttributionModel(rawValue: part.trimmingCharacters(in: .whitespaces)) else {
                throw PredictQuery.Invalid(field: "model", reason: "'\(part)' is not a model; use \(allCases.map(\.rawValue).joined(separator: ", ")) or all")
            }
            if !models.contains(model) { models.append(model) }
        }
        return models
    }
}
