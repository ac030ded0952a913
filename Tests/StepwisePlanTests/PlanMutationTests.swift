import Testing
import StepwiseDemo
@testable import StepwisePlan

/// The plan loader never crashes on a broken file: seeded mutations of SPEC §2's example
/// (lines dropped, repeated, swapped or re-indented; keys and values garbled) either load or
/// fail with a `PlanError` that names a line of the file and a reason.
@Suite struct PlanMutationTests {
    static let garbage = ["", ":", "- ", "{", "}", "[", "]", "\"", "'", "*", "&a", "*a", "!!binary", "~", "null", "-1e999", "\t",
                          "{ gte: [] }", "kind: micro", "steps: [nope]", "when: {}", "7x", "0d", "\u{0}", "é", "<<: *a", "? x"]

    @Test func mutatedPlansLoadOrNameALineAndAReason() {
        var random = SeededRandom(seed: 42)
        var loaded = 0, refused = 0
        let original = TrackingPlanLoaderTests.plan.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for _ in 0..<3000 {
            var lines = original
            for _ in 0...random.below(3) {
                let k = random.below(lines.count)
                switch random.below(6) {
                case 0: lines.remove(at: k)
                case 1: lines.insert(lines[k], at: random.below(lines.count))
                case 2: lines.swapAt(k, random.below(lines.count))
                case 3: lines[k] = String(repeating: " ", count: random.below(9)) + lines[k].trimmingCharacters(in: .whitespaces)
                case 4:
                    let cut = random.below(lines[k].count + 1)
                    lines[k] = String(lines[k].prefix(cut)) + Self.garbage[random.below(Self.garbage.count)]
                default:
                    if let colon = lines[k].firstIndex(of: ":") { lines[k].insert(contentsOf: Self.garbage[random.below(Self.garbage.count)], at: colon) }
                }
                if lines.isEmpty { lines = [""] }
            }
            do {
                _ = try TrackingPlanLoader.load(yaml: lines.joined(separator: "\n"))
                loaded += 1
            } catch {
                refused += 1
                #expect(error.line >= 0 && error.line <= lines.count + 1 && !error.reason.isEmpty, "\(error)")
                #expect(error.file == "stepwise.yml")
            }
        }
        #expect(loaded > 0 && refused > 0, "loaded \(loaded), refused \(refused)")
    }
}
