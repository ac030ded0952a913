import StepwiseCore
import Testing
@testable import StepwisePlan

/// Site days follow the plan's time zone, daylight saving included.
@Suite struct LocalCalendarTests {
    static func t(_ text: String) -> Int64 { Timestamp.parseRFC3339(text)! }
    static func day(_ text: String) -> Int64 { Timestamp.parseDateOrTimestamp(text)! / 86_400_000 }

    @Test func sydneyDaysStartAtSydneyMidnightAcrossDaylightSaving() throws {
        let sydney = try #require(LocalCalendar(timeZoneIdentifier: "Australia/Sydney"))
        #expect(sydney.offset(at: Self.t("2026-11-02T10:15:03Z")) == 11 * 3_600_000)
        #expect(sydney.offset(at: Self.t("2026-07-01T00:00:00Z")) == 10 * 3_600_000)
        #expect(sydney.start(ofDay: Self.day("2026-11-03")) == Self.t("2026-11-02T13:00:00Z"))
        // 2026-10-04: clocks jump from 02:00 to 03:00, a 23-hour day.
        let start = sydney.start(ofDay: Self.day("2026-10-04")), end = sydney.start(ofDay: Self.day("2026-10-05"))
        #expect(start == Self.t("2026-10-03T14:00:00Z"))
        #expect(end - start == 23 * 3_600_000)
        #expect(sydney.day(of: Self.t("2026-11-02T13:30:00Z")) == Self.day("2026-11-03"))
    }

    @Test func newYorkFallBackMakesA25HourDay() throws {
        let newYork = try #require(LocalCalendar(timeZoneIdentifier: "America/New_York"))
        let start = newYork.start(ofDay: Self.day("2026-11-01")), end = newYork.start(ofDay: Self.day("2026-11-02"))
        #expect(start == Self.t("2026-11-01T04:00:00Z"))
        #expect(end - start == 25 * 3_600_000)
        #expect(LocalCalendar(timeZoneIdentifier: "Mars/Olympus_Mons") == nil)
    }

    @Test func dateBoundsAreWholeDaysOfThePlansZone() throws {
        let plan = try TrackingPlanLoader.load(yaml: "site: s\ntimezone: Australia/Sydney\n")
        let range = try DateBound.parse(from: "2026-11-03", to: "2026-11-03", calendar: plan.calendar)
        #expect(range.from == Self.t("2026-11-02T13:00:00Z"))
        #expect(range.to == Self.t("2026-11-03T13:00:00Z"))
        // A range that ends before it starts is refused, naming `to`.
        do {
            _ = try DateBound.parse(from: "2026-11-03", to: "2026-11-02")
            Issue.record("accepted a range that ends before it starts")
        } catch {
            #expect(error.field == "to")
            #expect(error.description == "to '2026-11-02' ends before the range starts")
        }
        // Without a zone, UTC days; timestamps are taken as they are.
        #expect(try DateBound.parse(from: "2026-11-03", to: nil).from == Self.t("2026-11-03T00:00:00Z"))
        #expect(try DateBound.parse(from: "2026-11-03T05:00:00Z", to: nil, calendar: plan.calendar).from == Self.t("2026-11-03T05:00:00Z"))
    }
}
