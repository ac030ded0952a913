import ArgumentParser
import Foundation
import StepwiseCore
import StepwiseEngine
import StepwisePlan

/// `stepwise report rates`: each plan definition's completions and rates (SPEC §4.1).
struct RatesReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rates",
        abstract: "Per plan definition: completions, rates per person, session and audience with 95 % intervals.",
        discussion: "The JSON output adds the daily or weekly series, time to complete, frequency and recency.")

    @OptionGroup var options: ReportOptions
    @OptionGroup var clickhouse: ClickHouseOptions

    @Option(name: .customLong("segment"),
            help: "dimension=value filter (repeatable): channel, device, browser, os, region, landing_page, visitor_type, prop.KEY.")
    var segments: [String] = []

    @Option(help: "Series interval: day or week.")
    var interval: RatesQuery.Interval = .day

    func run() async throws {
        var parsedSegments: [Segment] = []
        for text in segments {
            do { parsedSegments.append(try Segment(parsing: text)) } catch { throw CLIError.usage("--\(error.description)") }
        }
        let source = ReportSource(options: options, clickhouse: clickhouse)
        let store = try source.openSite()
        guard let plan = try options.trackingPlan(store) else {
            throw CLIError.usage("site \(options.site) has no tracking plan; pass --plan stepwise.yml")
        }
        let range = try options.range(plan)
        let query = RatesQuery(
            site: options.site, plan: plan, from: range.from, to: range.to, segments: parsedSegments, interval: interval,
            includeBots: options.includeBots)
        let report = try await source.run(store) { try await $0.rates(query) }
        switch options.format {
        case .json: try options.printJSON(report)
        case .csv: print(TabularText.csv(header: Self.csvHeader, rows: report.definitions.map(Self.csvRow)), terminator: "")
        case .table:
            let scope = [report.from.map { "from \($0)" }, report.to.map { "to \($0)" }].compactMap { $0 }
            print("\(report.site): \(report.persons) persons, \(report.sessions) sessions"
                  + (scope.isEmpty ? "" : " (\(scope.joined(separator: " ")))")
                  + (report.segments.isEmpty ? "" : "; segment \(report.segments.joined(separator: ", "))")
                  + (report.includeBots ? "; bots included" : ""))
            let header = ["definition", "kind", "count", "completions", "persons", "per person (95% CI)", "per session (95% CI)",
                          "per audience (95% CI)", "value"]
            let rows = report.definitions.map(Self.tableRow)
            print(TabularText.table(header: header, rows: rows, numericColumns: [3, 4, 8]), terminator: "")
            if !report.stepRates.isEmpty {
                let steps = report.stepRates.map { [$0.funnel, "\($0.from) → \($0.to)", Self.percent($0.rate) + " of \($0.rate.denominator)"] }
                print("\nstep to step (persons who did both, of those who did the first; any order):")
                print(TabularText.table(header: ["funnel", "steps", "rate (95% CI)"], rows: steps, numericColumns: []), terminator: "")
            }
        }
    }

    static func tableRow(_ d: DefinitionRates) -> [String] {
        let audience: String = d.perAudience.map { Self.percent($0) + " of \($0.denominator)" } ?? "-"
        let value: String = d.value.map { JSONWriter.formatNumber(($0 * 100).rounded() / 100) } ?? "-"
        return [d.name, d.kind, d.count, String(d.completions), String(d.persons), percent(d.perPerson), percent(d.perSession),
                audience, value]
    }

    static func percent(_ rate: Rate) -> String {
        guard let value = rate.rate, let ci = rate.ci95 else { return "-" }
        func p(_ x: Double) -> String { String(format: "%.2f", x * 100) }
        return "\(p(value))% (\(p(ci[0]))–\(p(ci[1])))"
    }

    static let csvHeader = [
        "definition", "kind", "count", "completions", "persons", "sessions", "value",
        "person_rate", "person_ci_low", "person_ci_high", "persons_total",
        "session_rate", "session_ci_low", "session_ci_high", "sessions_total",
        "audience_rate", "audience_ci_low", "audience_ci_high", "audience_total", "audience",
        "median_seconds_from_first_visit", "median_seconds_from_session_start",
    ]

    static func csvRow(_ d: DefinitionRates) -> [String] {
        func number(_ x: Double?) -> String { x.map(JSONWriter.formatNumber) ?? "" }
        func rate(_ r: Rate?) -> [String] {
            guard let r else { return ["", "", "", ""] }
            return [number(r.rate), number(r.ci95?[0]), number(r.ci95?[1]), String(r.denominator)]
        }
        return [d.name, d.kind, d.count, String(d.completions), String(d.persons), String(d.sessions), number(d.value)]
            + rate(d.perPerson) + rate(d.perSession) + rate(d.perAudience) + [d.audience ?? "",
            number(d.timeToComplete.fromFirstVisit?.medianSeconds), number(d.timeToComplete.fromSessionStart?.medianSeconds)]
    }
}

extension RatesQuery.Interval: ExpressibleByArgument {}
