import ArgumentParser
import Foundation
import StepwiseCore
import StepwiseEngine
import StepwisePlan

/// `stepwise experiment …`: planning tests (SPEC §4.7).
struct ExperimentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiment", abstract: "Plan experiments.", subcommands: [ExperimentSizeCommand.self])
}

/// `stepwise experiment size`: persons per variant and days for a two-proportion test, and,
/// on a site, how much sooner the same test reads out on a micro than on the macro.
struct ExperimentSizeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "size", abstract: "Persons per variant and days a test needs to detect a relative change.",
        discussion: "With --site and --micro, the baseline rates and daily persons come from the last 30 days of the site.")

    @Option(help: "Baseline conversion rate per person, e.g. 0.04 (default with --site: the macro's observed rate).")
    var baseline: Double?
    @Option(help: "Minimum detectable effect, relative to the baseline: 10% or 0.1.")
    var mde: String
    @Option(help: "Statistical power.")
    var power: Double = 0.8
    @Option(help: "Two-sided significance level.")
    var alpha: Double = 0.05
    @Option(name: .customLong("daily-persons"), help: "Persons entering the test per day (default with --site: observed).")
    var dailyPersons: Int?
    @Option(help: "Number of variants, control included.")
    var variants: Int = 2
    @Option(help: "Site whose traffic sets the rates (needs its plan).")
    var site: String?
    @Option(help: "With --site: the micro to compare against the macro.")
    var micro: String?
    @Option(help: "With --site: the macro; default the plan's first.")
    var macro: String?
    @Option(help: "Tracking plan file; default the plan stored for the site.")
    var plan: String?
    @Option(help: "Output format: table or json.")
    var format: OutputFormat = .table
    @OptionGroup var store: StoreOptions

    struct Comparison: Encodable {
        var macro: SampleSize
        var micro: SampleSize?
        var microName: String?
        var macroName: String?
        var fewerDays: Int?
    }

    func run() async throws {
        let relative: Double
        do { relative = try SampleSize.parseRelative(mde) } catch { throw CLIError.usage("--\(error.description)") }
        var comparison: Comparison
        do {
            if let site {
                let observed = try await observedRates(site: site)
                let macroPlan = try SampleSize(baseline: baseline ?? observed.macro, relativeMde: relative, power: power, alpha: alpha,
                                               variants: variants, dailyPersons: dailyPersons ?? observed.daily)
                comparison = Comparison(macro: macroPlan, macroName: observed.macroName)
                if let micro, let rate = observed.micro {
                    let microPlan = try SampleSize(baseline: rate, relativeMde: relative, power: power, alpha: alpha, variants: variants,
                                                   dailyPersons: dailyPersons ?? observed.daily)
                    comparison.micro = microPlan
                    comparison.microName = micro
                    if let a = macroPlan.days, let b = microPlan.days { comparison.fewerDays = a - b }
                }
            } else {
                guard let baseline else { throw CLIError.usage("--baseline is required without --site") }
                comparison = Comparison(macro: try SampleSize(baseline: baseline, relativeMde: relative, power: power, alpha: alpha,
                                                              variants: variants, dailyPersons: dailyPersons))
            }
        } catch let error as SampleSize.Invalid {
            throw CLIError.usage("--\(error.field.replacingOccurrences(of: "_", with: "-")): \(error.reason)")
        }
        switch format {
        case .json:
            print(String(decoding: try ReportEncoding.encoder(pretty: true).encode(comparison), as: UTF8.self))
        case .table, .csv:
            func line(_ name: String?, _ plan: SampleSize) -> String {
                let days = plan.days.map { ", \($0) days at \(plan.dailyPersons!) persons a day" } ?? ""
                return (name.map { "\($0): " } ?? "") + String(format: "baseline %.4g → %.4g: ", plan.baseline, plan.target)
                    + "\(plan.personsPerVariant) persons per variant, \(plan.totalPersons) in all\(days)"
            }
            print("power \(power), alpha \(alpha) two-sided, \(variants) variants")
            print(line(comparison.macroName, comparison.macro))
            if let micro = comparison.micro {
                print(line(comparison.microName, micro))
                if let fewer = comparison.fewerDays {
                    print(fewer > 0 ? "The micro reads out \(fewer) days sooner: use it as the primary metric, the macro as a guardrail."
                                    : "The micro is no faster than the macro here: test on the macro.")
                }
            }
        }
    }

    /// Per-person rates of the macro and the micro over the 30 days before the site's last event, and persons per day.
    func observedRates(site: String) async throws -> (macro: Double, macroName: String, micro: Double?, daily: Int) {
        var options = try SiteOptions.parse(["--site", site] + (plan.map { ["--plan", $0] } ?? []))
        options.store = store
        let eventStore = try options.openSite()
        guard let plan = try options.trackingPlan(eventStore) else {
            throw CLIError.usage("site \(site) has no tracking plan; pass --plan stepwise.yml")
        }
        guard let macroName = macro ?? plan.macros.first?.name else { throw CLIError.usage("--macro: the plan defines no macro") }
        let table = eventStore.live.snapshot()
        let persons = table.siteID(site).flatMap { table.sitePersons[$0] } ?? 0..<0
        let last = persons.map { table.timestamp[table.events(ofPerson: $0).upperBound - 1] }.max() ?? 0
        let days: Int64 = 30
        let report = RatesCalculator.compute(RatesQuery(site: site, plan: plan, from: last + 1 - days * 86_400_000, to: last + 1), in: table)
        func rate(_ name: String, _ option: String) throws -> Double {
            guard let definition = report.definitions.first(where: { $0.name == name }) else {
                throw CLIError.usage("--\(option): '\(name)' is not a definition of the plan")
            }
            guard let value = definition.perPerson.rate, value > 0 else { throw CLIError.usage("--\(option): \(name) has no completions in the last 30 days") }
            return value
        }
        return (try rate(macroName, "macro"), macroName, try micro.map { try rate($0, "micro") }, max(1, report.persons / Int(days)))
    }
}

/// `stepwise report experiment NAME`: per variant and metric, lift against control with its
/// intervals, p-value, chance to beat control, the sample-ratio check and a verdict.
struct ExperimentReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiment",
        abstract: "A plan experiment: the primary micro, guardrail macros and revenue per person, per variant against control.")

    @Argument(help: "The experiment's name in the plan.")
    var name: String
    @OptionGroup var options: ReportOptions
    @OptionGroup var clickhouse: ClickHouseOptions
    @Option(name: .customLong("segment"), help: "dimension=value filter (repeatable).")
    var segments: [String] = []

    func run() async throws {
        let source = ReportSource(options: options, clickhouse: clickhouse)
        let inputs = try PersonReportInputs(options, segments: segments, source: source)
        let report = try await usage {
            try await source.run(inputs.store) { try await $0.experiment(ExperimentQuery(
                site: options.site, plan: inputs.plan, experiment: name, from: inputs.range.from, to: inputs.range.to,
                segments: inputs.segments, includeBots: options.includeBots)) }
        }
        let header = ["metric", "variant", "persons", "rate or mean", "lift (95% CI)", "relative", "p", "P(beat control)", "always-valid CI"]
        var rows: [[String]] = []
        for metric in report.metrics {
            for v in metric.variants {
                let value = v.rate.map { RatesReportCommand.percent($0) } ?? v.mean.map { String(format: "%.2f", $0) } ?? "-"
                let c = v.comparison
                func interval(_ pair: [Double]?, scale: Double) -> String {
                    pair.map { String(format: "%.3g to %.3g", $0[0] * scale, $0[1] * scale) } ?? "-"
                }
                let scale = metric.role == .revenue ? 1.0 : 100.0
                rows.append([metric.name + (metric.role == .primary ? " (primary)" : ""), v.variant, String(v.persons), value,
                             c.map { String(format: "%+.3g", $0.absoluteLift * scale) + " (" + interval($0.absoluteCi95, scale: scale) + ")" } ?? "control",
                             c.map { ExperimentCalculator.percent($0.relativeLift) } ?? "",
                             c.map { PredictReportCommand.p($0.pValue) } ?? "",
                             c.map { String(format: "%.1f%%", $0.chanceToBeatControl * 100) } ?? "",
                             c.map { interval($0.sequentialCi95, scale: scale) } ?? ""])
            }
        }
        switch options.format {
        case .json: try options.printJSON(report)
        case .csv: print(TabularText.csv(header: header, rows: rows), terminator: "")
        case .table:
            print("\(report.experiment) on \(report.site): " + report.variants.map { "\($0.name) \($0.persons)" }.joined(separator: ", ")
                  + " exposed persons" + (report.mixedExposures > 0 ? "; \(report.mixedExposures) saw several variants and are left out" : ""))
            print(String(format: "sample ratio: chi-square %.2f, p = %.4g%@", report.sampleRatio.chiSquare, report.sampleRatio.pValue,
                         report.sampleRatio.mismatch ? " — MISMATCH" : ""))
            print(TabularText.table(header: header, rows: rows, numericColumns: [2]), terminator: "")
            for warning in report.warnings { print("WARNING: \(warning)") }
            print("verdict: \(report.verdict.rawValue) — \(report.why)")
        }
    }
}

/// `stepwise report hypotheses`: test ideas from the funnel's leaks and the predictors, by ICE.
struct HypothesesReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hypotheses", abstract: "Test ideas seeded from a funnel's leaks and the predictive report, ranked by ICE.",
        discussion: "Set an idea's ease (1-10) under `ease:` in the plan, keyed by the idea's key.")

    @OptionGroup var options: ReportOptions
    @Option(help: "The plan funnel whose leaks seed ideas; default the plan's first.")
    var funnel: String?

    func run() async throws {
        let inputs = try PersonReportInputs(options, segments: [])
        let board = try await usage {
            try await HypothesisBoard.compute(site: options.site, plan: inputs.plan, funnel: funnel, from: inputs.range.from, to: inputs.range.to,
                                              includeBots: options.includeBots, backend: inputs.backend)
        }
        let header = ["ICE", "impact", "confidence", "ease", "idea", "key"]
        let rows = board.ideas.map { [String(format: "%.1f", $0.ice), String($0.impact), String($0.confidence), String($0.ease), $0.title, $0.key] }
        switch options.format {
        case .json: try options.printJSON(board)
        case .csv: print(TabularText.csv(header: header, rows: rows), terminator: "")
        case .table:
            print("\(board.site): test ideas for \(board.macro) from funnel \(board.funnel) and the predictive report")
            print(TabularText.table(header: header, rows: rows, numericColumns: [0, 1, 2, 3]), terminator: "")
            for idea in board.ideas { print("  \(idea.key): \(idea.evidence)") }
        }
    }
}
