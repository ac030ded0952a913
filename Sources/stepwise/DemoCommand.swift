import ArgumentParser
import Foundation
import StepwiseCore
import StepwiseDemo
import StepwiseStorage

/// `stepwise demo`: seeded e-commerce and B2B SaaS traffic with ground truth, then serve it.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "Generate demo sites with known ground truth and serve them.")

    @Option(help: "Random seed; the same seed writes the same traffic.")
    var seed: UInt64 = 42

    /// The generator's events are held in memory before writing (~5 events, ~2 kB each a visitor).
    static let maxVisitors = 1_000_000

    @Option(help: "Visitors per demo site (at most 1000000).")
    var visitors: Int = 20_000

    @Flag(name: .customLong("no-serve"), help: "Only write the demo data.")
    var noServe = false

    @OptionGroup var store: StoreOptions
    @OptionGroup var server: ServerOptions

    func validate() throws {
        guard visitors > 0, visitors <= Self.maxVisitors else { throw ValidationError("--visitors must be between 1 and \(Self.maxVisitors)") }
    }

    func run() async throws {
        let hold = try store.hold(beside: "stop it first (the demo writes its sites, then serves them)")
        defer { withExtendedLifetime(hold) {} }
        let eventStore = try store.open()
        let existing = Set(eventStore.live.snapshot().siteNames)
        // The period ends at the last full hour, so the data always looks recent.
        let end = Int64(Date().timeIntervalSince1970 / 3600) * 3_600_000
        for profile in [DemoSiteProfile.shop, .saas] where !existing.contains(profile.site) {
            let truth = try await DemoWriter(store: eventStore).write(profile: profile, seed: seed, visitors: visitors, end: end)
            // Unbuffered, so the lines are there even when the server that follows is killed.
            FileHandle.standardOutput.write(Data((
                "generated \(profile.site): \(truth.visitors) visitors, \(truth.eventsByEvent.values.reduce(0, +)) human events, "
                + "ground truth in metadata key ground_truth:\(profile.site), tracking plan stored\n").utf8))
        }
        if noServe { return }
        try await serve(eventStore, server, banner: "Stepwise demo", openSites: true)
    }
}
