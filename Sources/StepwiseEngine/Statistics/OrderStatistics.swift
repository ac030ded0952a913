/// Samples reduced to what a median and a 90th percentile need, so a store that sorts them
/// (ClickHouse) sends back five numbers instead of the samples.
///
/// `values` are the samples at the ranks `floor((count - 1) * q)` and the next (capped at the
/// last), for q = 0.5 then 0.9, in sorted order (`Quantile.ranks`).
public struct OrderStatistics: Sendable {
    public var count: Int
    public var values: [Int64]

    public init(count: Int, values: [Int64]) {
        self.count = count
        self.values = values
    }

    func medianAndP90(_ transform: (Int64) -> Double) -> (Double, Double)? {
        guard count > 0, values.count == 4 else { return nil }
        return Quantile.interpolate(count: count, values: values.map(transform))
    }
}
