/// Append-only `UInt32` samples in fixed-size chunks the scan owns: growing never copies,
/// and four bytes a sample keep the scan's memory traffic low. `free()` releases them. Sendable
/// because ownership moves from a worker to the report, never shared.
struct Samples: @unchecked Sendable {
    static let chunkSize = 1 << 14
    /// Values below this are counted, not stored: zeros (a match on a session's or person's
    /// first event) and small counts (a person's completions) are the common case, and a count
    /// of each value is all a quantile or a distribution needs.
    static let smallLimit = 16
    private(set) var chunks: [UnsafeMutablePointer<UInt32>] = []
    private var current: UnsafeMutablePointer<UInt32>?
    private var used = Samples.chunkSize
    /// How many times each value `v < smallLimit` was appended, in place (one cache line).
    /// Four bytes a count suffice: a table indexes its events with `UInt32`.
    private var small: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32,
                        UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    private(set) var smallCount = 0
    /// The largest stored sample: it sizes the quantile histograms.
    private(set) var maximum: UInt32 = 0

    /// Samples held, small ones included.
    var count: Int { smallCount + stored }
    var stored: Int { chunks.isEmpty ? 0 : (chunks.count - 1) * Self.chunkSize + used }

    @inline(__always) mutating func append(_ value: UInt32) {
        if value < Self.smallLimit {
            withUnsafeMutableBytes(of: &small) { $0.storeBytes(of: $0.load(fromByteOffset: Int(value) * 4, as: UInt32.self) &+ 1, toByteOffset: Int(value) * 4, as: UInt32.self) }
            smallCount += 1
            return
        }
        maximum = max(maximum, value)
        if used == Self.chunkSize {
            let chunk = UnsafeMutablePointer<UInt32>.allocate(capacity: Self.chunkSize)
            chunks.append(chunk)
            current = chunk
            used = 0
        }
        current![used] = value
        used += 1
    }

    /// A duration, clamped to what four bytes hold (49 days in milliseconds, 136 years in seconds).
    @inline(__always) mutating func append(millis: Int64) { append(UInt32(clamping: millis)) }
    @inline(__always) mutating func append(seconds millis: Int64) { append(UInt32(clamping: millis / 1000)) }

    /// Adds how often each small value was appended to `counts` (`smallLimit` slots).
    func addSmallCounts(to counts: inout [Int]) {
        withUnsafeBytes(of: small) { small in
            for value in 0..<Self.smallLimit { counts[value] += Int(small.load(fromByteOffset: value * 4, as: UInt32.self)) }
        }
    }

    /// Calls `body` with each filled run of the stored (not small) samples, in order.
    func forEachChunk(_ body: (UnsafeBufferPointer<UInt32>) -> Void) {
        for (k, chunk) in chunks.enumerated() {
            body(UnsafeBufferPointer(start: chunk, count: k == chunks.count - 1 ? used : Self.chunkSize))
        }
    }

    /// Samples holding `values` (tests).
    init<S: Sequence<UInt32>>(_ values: S) { for value in values { append(value) } }

    init() {}

    mutating func free() {
        for chunk in chunks { chunk.deallocate() }
        self = Samples()
    }
}
