import Foundation
import Logging
import StepwisePlan
import StepwiseStorage
import Synchronization

/// The tracking plan in force for each site.
///
/// Plans come from `--plan` files and from `PUT /api/v1/sites/{site}/plan`. The active plan
/// of a site is always stored too, so a restart and the CLI see it. A new plan replaces the
/// old one only once it has loaded without error: a bad edit never leaves a site without
/// its plan. At start and on `SIGHUP` a file is (re)applied only when its text changed, so
/// a plan sent by PUT stays until the file itself is edited.
public final class PlanRegistry: Sendable {
    public struct Entry: Sendable {
        public var plan: TrackingPlan
        public var yaml: String
        /// The file it came from, `api`, or `store` (loaded from the database at start).
        public var source: String
        /// Counts the changes since the server started, from 1.
        public var version: Int
        public var loadedAt: Date
    }

    private struct State {
        var entries: [String: Entry] = [:]
        /// Text last applied from each file.
        var fileTexts: [String: String] = [:]
    }

    private let state = Mutex(State())
    private let store: EventStore
    public let files: [String]

    /// Loads the stored plans, then the files. A file that does not load is an error here
    /// (the server should not start on a broken plan); a stored one that no longer loads is skipped.
    public init(store: EventStore, files: [String], logger: Logger? = nil) throws {
        self.store = store
        self.files = files
        for (site, yaml) in try store.planTexts() {
            do {
                let plan = try TrackingPlanLoader.load(yaml: yaml, file: "stored plan of \(site)")
                state.withLock { $0.entries[site] = Entry(plan: plan, yaml: yaml, source: "store", version: 1, loadedAt: Date()) }
            } catch {
                logger?.error("stored plan of \(site) does not load, ignored: \(error)")
            }
        }
        for file in files {
            if let error = reload(file: file) { throw error }
        }
    }

    public func entry(site: String) -> Entry? { state.withLock { $0.entries[site] } }

    public var sites: [String] { state.withLock { $0.entries.keys.sorted() } }

    /// Re-reads every plan file (SIGHUP). Returns one line per file that changed: what was
    /// applied, or why it was refused and the old plan kept.
    @discardableResult
    public func reloadFiles() -> [String] {
        files.compactMap { file in
            let before = state.withLock { $0.fileTexts[file] }
            if let error = reload(file: file) { return "plan \(file) not applied, keeping the previous plan: \(error)" }
            let after = state.withLock { $0.fileTexts[file] }
            return before == after ? nil : "plan \(file) applied"
        }
    }

    /// Replaces a site's plan with YAML sent over the API.
    public func put(site: String, yaml: String) throws -> Entry {
        try apply(try Self.validated(site: site, yaml: yaml), yaml: yaml, source: "api")
    }

    /// The plan in `yaml`, when it loads and is for `site`.
    public static func validated(site: String, yaml: String) throws -> TrackingPlan {
        let plan = try TrackingPlanLoader.load(yaml: yaml, file: "stepwise.yml")
        guard plan.site == site else {
            throw PlanError(file: "stepwise.yml", line: 1, key: "site", reason: "the plan is for site \(plan.site), not \(site)")
        }
        return plan
    }

    /// Takes a site's plan from the shared store when its text differs from the one in force;
    /// a text that does not load is refused and the plan in force kept.
    public func adopt(site: String, yaml: String) throws -> Bool {
        guard entry(site: site)?.yaml != yaml else { return false }
        _ = try apply(try Self.validated(site: site, yaml: yaml), yaml: yaml, source: "shared")
        return true
    }

    /// The plans that came from files, to publish to the other nodes.
    public var filePlans: [(site: String, yaml: String)] {
        state.withLock { state in
            state.entries.values.filter { files.contains($0.source) }.map { ($0.plan.site, $0.yaml) }.sorted { $0.site < $1.site }
        }
    }

    private func reload(file: String) -> (any Error)? {
        let yaml: String
        do {
            yaml = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            return PlanError(file: file, line: 0, key: "", reason: "cannot read the plan: \(error.localizedDescription)")
        }
        if state.withLock({ $0.fileTexts[file] }) == yaml { return nil }
        do {
            let plan = try TrackingPlanLoader.load(yaml: yaml, file: file)
            _ = try apply(plan, yaml: yaml, source: file)
            state.withLock { $0.fileTexts[file] = yaml }
            return nil
        } catch {
            return error
        }
    }

    private func apply(_ plan: TrackingPlan, yaml: String, source: String) throws -> Entry {
        try store.setPlanText(yaml, site: plan.site)
        return state.withLock { state in
            let entry = Entry(plan: plan, yaml: yaml, source: source, version: (state.entries[plan.site]?.version ?? 0) + 1, loadedAt: Date())
            state.entries[plan.site] = entry
            return entry
        }
    }
}
