import Testing
@testable import StepwiseCore

@Suite struct TimestampTests {
    @Test(arguments: [
        ("2026-11-02T10:15:03.120Z", Int64(1_793_614_503_120)),
        ("2026-11-02T10:15:03Z", Int64(1_793_614_503_000)),
        ("2026-11-02T20:15:03.120+10:00", Int64(1_793_614_503_120)),
        ("2026-11-02T05:15:03.1205-05:00", Int64(1_793_614_503_120)),
        ("1970-01-01T00:00:00Z", Int64(0)),
        ("2024-02-29T23:59:59.999z", Int64(1_709_251_199_999)),
    ])
    func parsesRFC3339(text: String, millis: Int64) {
        #expect(Timestamp.parseRFC3339(text) == millis)
    }

    @Test(arguments: ["2026-11-02", "2026-13-02T00:00:00Z", "2025-02-29T00:00:00Z", "2026-11-02T10:15:03", "2026-11-02T10:15:03.Z",
                      "2026-11-02T24:00:00Z", "2026-11-02T10:15:03+1000", "yesterday"])
    func rejectsWhatIsNotRFC3339(text: String) {
        #expect(Timestamp.parseRFC3339(text) == nil)
    }

    @Test func formatsAndParsesBack() {
        for millis: Int64 in [0, 1_793_614_503_120, 951_782_400_000, 4_102_444_799_999] {
            #expect(Timestamp.parseRFC3339(Timestamp.formatRFC3339(millis)) == millis)
        }
        #expect(Timestamp.formatRFC3339(1_793_614_503_120) == "2026-11-02T10:15:03.120Z")
        #expect(Timestamp.formatDay(1_793_614_503_120) == "2026-11-02")
    }

    @Test func dateBoundsIncludeTheWholeEndDay() throws {
        let range = try DateBound.parse(from: "2026-11-01", to: "2026-11-02")
        #expect(range.from == Timestamp.parseRFC3339("2026-11-01T00:00:00Z"))
        #expect(range.to == Timestamp.parseRFC3339("2026-11-03T00:00:00Z"))
        #expect(throws: DateBound.Invalid(field: "to", value: "soon")) { try DateBound.parse(from: nil, to: "soon") }
    }
}
