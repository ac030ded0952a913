import Foundation
import StepwiseCore

extension LocalCalendar {
    /// The calendar of an IANA time zone, with its offset changes from 1970 to 2100 read
    /// once from the system's time-zone database; nil for an unknown zone.
    public init?(timeZoneIdentifier identifier: String) {
        guard let zone = TimeZone(identifier: identifier) else { return nil }
        let first = Date(timeIntervalSince1970: 0)
        let last = Date(timeIntervalSince1970: 4_102_444_800)  // 2100-01-01
        var changes: [(at: Int64, offset: Int64)] = []
        var cursor = first
        while let next = zone.nextDaylightSavingTimeTransition(after: cursor), next < last {
            changes.append((Int64(next.timeIntervalSince1970 * 1000), Int64(zone.secondsFromGMT(for: next)) * 1000))
            cursor = next
        }
        self.init(identifier: identifier, initialOffset: Int64(zone.secondsFromGMT(for: first)) * 1000, changes: changes)
    }
}
