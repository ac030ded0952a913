/// The days of a site's time zone: "2026-11-02" in a Sydney site's report means the Sydney
/// day, and a daily series splits at Sydney midnight.
///
/// Pure: the UTC offset as a step function of time (the zone's transitions, computed once by
/// whoever knows the time-zone database), so the engine needs no clock and no files.
public struct LocalCalendar: Sendable, Equatable {
    public static let utc = LocalCalendar(identifier: "UTC", initialOffset: 0, changes: [])

    public let identifier: String
    /// Offset (milliseconds east of UTC) before the first change.
    let initialOffset: Int64
    /// Instants at which the offset changes, ascending, and the offset from each on.
    let changeTimes: [Int64]
    let changeOffsets: [Int64]

    public init(identifier: String, initialOffset: Int64, changes: [(at: Int64, offset: Int64)]) {
        self.identifier = identifier
        self.initialOffset = initialOffset
        changeTimes = changes.map(\.at)
        changeOffsets = changes.map(\.offset)
    }

    /// Milliseconds to add to a UTC instant to get local wall-clock time.
    public func offset(at t: Int64) -> Int64 {
        var low = 0, high = changeTimes.count
        while low < high {
            let middle = (low + high) / 2
            if changeTimes[middle] <= t { low = middle + 1 } else { high = middle }
        }
        return low == 0 ? initialOffset : changeOffsets[low - 1]
    }

    /// The local day of an instant, as days since 1970-01-01.
    public func day(of t: Int64) -> Int64 { Timestamp.floorDivMod(t + offset(at: t), 86_400_000).0 }

    /// The instant the local day begins. Where a transition skips midnight, the first instant after it.
    public func start(ofDay day: Int64) -> Int64 {
        let midnight = day * 86_400_000
        var t = midnight - offset(at: midnight)
        t = midnight - offset(at: t)
        return self.day(of: t) < day ? t + 3_600_000 - Timestamp.floorDivMod(t + offset(at: t), 3_600_000).1 : t
    }

    /// `YYYY-MM-DD` of a local day number.
    public static func format(day: Int64) -> String { Timestamp.formatDay(day * 86_400_000) }
}
