import ArgumentParser
import Foundation
import StepwiseEngine
import StepwisePlan

/// `stepwise plan …`: the tracking plan as code.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan", abstract: "Check the tracking plan (stepwise.yml).", subcommands: [PlanLintCommand.self])
}

struct PlanLintCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lint",
        abstract: "Load the plan strictly and warn about common mistakes.",
        discussion: "Exit 0 when the plan loads (with or without warnings), 2 when it does not. With a database, events seen in the site's traffic that no definition uses are listed too.")

    @Option(help: "Plan file (env STEPWISE_PLAN).")
    var plan: String = ProcessInfo.processInfo.environment["STEPWISE_PLAN"] ?? "./stepwise.yml"

    @Option(help: "Output format: table or json.")
    var format: OutputFormat = .table

    @OptionGroup var store: StoreOptions

    func run() async throws {
        let trackingPlan: TrackingPlan
        do {
            trackingPlan = try TrackingPlanLoader.load(path: plan)
        } catch {
            throw CLIError.usage(error.description)
        }
        var observed: [String]?
        if FileManager.default.fileExists(atPath: store.db) {
            let table = try store.open().live.snapshot()
            observed = EventCounter.count(EventCountsQuery(site: trackingPlan.site), in: table).events.map(\.event)
        }
        let warnings = PlanLinter.lint(trackingPlan, observedEvents: observed)
        switch format {
        case .json:
            let items = warnings.map { warning -> [String: String] in
                ["code": warning.code.rawValue, "subject": warning.subject, "line": String(warning.line), "message": warning.message, "why": warning.why]
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(LintOutput(plan: plan, site: trackingPlan.site, warnings: items)), as: UTF8.self))
        case .table, .csv:
            for warning in warnings {
                print("\(plan):\(warning.line): \(warning.code.rawValue) \(warning.subject): \(warning.message)")
                print("  why: \(warning.why)")
            }
            let definitions = trackingPlan.conversions.count
            print("\(plan): \(definitions) definitions (\(trackingPlan.micros.count) micro, \(trackingPlan.macros.count) macro), "
                  + "\(warnings.count) warning\(warnings.count == 1 ? "" : "s")"
                  + (observed == nil ? "; no database at \(store.db), traffic not checked" : ""))
        }
    }

    struct LintOutput: Encodable {
        var plan: String
        var site: String
        var warnings: [[String: String]]
    }
}
