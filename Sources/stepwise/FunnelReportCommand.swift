import ArgumentParser
import Foundation
import StepwiseCore
import StepwiseEngine
import StepwisePlan

/// `stepwise report funnel`: where the journey leaks (SPEC §4.2).
struct FunnelReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "funnel",
        abstract: "Persons (or sessions) reaching each step in order inside the window, the biggest leak, breakdown and trend.")

    @OptionGroup var options: ReportOptions
    @OptionGroup var clickhouse: ClickHouseOptions

    @Option(help: "A funnel of the plan.")
    var funnel: String?

    @Option(help: "Steps instead of a plan funnel: comma-separated definitions or raw event names.")
    var steps: String?

    @Option(help: "Conversion window from the entry step: 45s, 30m, 2h, 7d, 1w (default: the plan funnel's, else 30d).")
    var window: String?

    @Option(help: "ordered, strict or any (default: the plan funnel's, else ordered).")
    var order: FunnelQuery.Order?

    @Option(name: .customLong("exclude"), help: "NAME, or NAME:FROM_STEP:TO_STEP: an event that voids the attempt it interrupts (repeatable).")
    var exclusions: [String] = []

    @Option(help: "Count persons or sessions.")
    var per: FunnelQuery.Unit = .person

    @Option(help: "Break down by channel, device, browser, os, region, landing_page, visitor_type or prop.KEY (of the entry event).")
    var breakdown: String?

    @Option(name: .customLong("segment"), help: "dimension=value filter (repeatable).")
    var segments: [String] = []

    @Option(help: "Trend interval: day or week.")
    var interval: RatesQuery.Interval = .day

    func run() async throws {
        let source = ReportSource(options: options, clickhouse: clickhouse)
        let store = try source.openSite()
        let plan = try options.trackingPlan(store)
        let range = try options.range(plan)
        var query = try Self.query(site: options.site, plan: plan, funnel: funnel, steps: steps, window: window, order: order,
                                   exclusions: exclusions)
        query.unit = per
        query.from = range.from
        query.to = range.to
        query.includeBots = options.includeBots
        query.interval = interval
        if let breakdown {
            guard let dimension = Segment.Dimension(name: breakdown) else {
                throw CLIError.usage("--breakdown '\(breakdown)': one of \(Segment.dimensionNames.joined(separator: ", "))")
            }
            query.breakdown = dimension
        }
        for text in segments {
            do { query.segments.append(try Segment(parsing: text)) } catch { throw CLIError.usage("--\(error.description)") }
        }
        let report = try await source.run(store) { try await $0.funnel(query) }
        switch options.format {
        case .json: try options.printJSON(report)
        case .csv:
            let header = ["breakdown", "step", per == .person ? "persons" : "sessions", "rate_from_previous", "rate_from_start", "dropped",
                          "median_seconds_from_previous", "p90_seconds_from_previous"]
            var rows = report.steps.map { Self.csvRow("", $0) }
            for row in report.breakdown ?? [] { rows += row.steps.map { Self.csvRow(row.value, $0) } }
            print(TabularText.csv(header: header, rows: rows), terminator: "")
        case .table:
            let unit = per == .person ? "persons" : "sessions"
            print("\(report.site): \(report.funnel ?? "funnel") (\(report.order), window \(Self.duration(report.windowSeconds)), per \(per.rawValue))"
                  + (report.segments.isEmpty ? "" : "; segment \(report.segments.joined(separator: ", "))"))
            let rows = report.steps.enumerated().map { k, step in
                [String(k + 1), step.name, String(step.count), Self.percent(step.rateFromPrevious), Self.percent(step.rateFromStart),
                 String(step.dropped), step.medianSecondsFromPrevious.map { Self.duration(Int64($0)) } ?? "-"]
            }
            print(TabularText.table(header: ["#", "step", unit, "from previous", "from start", "dropped", "median time"], rows: rows,
                                    numericColumns: [0, 2, 3, 4, 5, 6]), terminator: "")
            if let leak = report.biggestLeak {
                print("biggest leak: \(leak.from) → \(leak.to), \(leak.lost) \(unit) lost (\(Self.percent(leak.rate)) continue)")
            }
            if let lowest = report.lowestRate, lowest.from != report.biggestLeak?.from {
                print("lowest rate: \(lowest.from) → \(lowest.to), \(Self.percent(lowest.rate))")
            }
            for row in report.breakdown ?? [] {
                print("\(query.breakdown!.name)=\(row.value): " + row.steps.map { "\($0.name) \($0.count)" }.joined(separator: " → "))
            }
        }
    }

    /// The query from a plan funnel or a step list, with the command line's overrides.
    static func query(site: String, plan: TrackingPlan?, funnel: String?, steps: String?, window: String?, order: FunnelQuery.Order?,
                      exclusions: [String]) throws -> FunnelQuery {
        var windowMillis: Int64?
        if let window {
            guard let millis = PlanDuration.millis(window), millis > 0 else {
                throw CLIError.usage("--window '\(window)' must be a number and a unit: 45s, 30m, 2h, 7d or 1w")
            }
            windowMillis = millis
        }
        do {
            switch (funnel, steps) {
            case (let name?, nil):
                guard let plan else { throw CLIError.usage("--funnel \(name) needs a plan: pass --plan stepwise.yml") }
                guard var definition = plan.funnels.first(where: { $0.name == name }) else {
                    throw CLIError.usage("the plan has no funnel \(name); funnels: \(plan.funnels.map(\.name).joined(separator: ", "))")
                }
                if let windowMillis { definition.windowMillis = windowMillis }
                if let order { definition.order = order }
                var query = try FunnelQuery(site: site, funnel: definition, plan: plan)
                for text in exclusions { try query.exclude(text, plan: plan) }
                return query
            case (nil, let list?):
                let names = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                return try FunnelQuery(site: site, stepNames: names, plan: plan, windowMillis: windowMillis, order: order ?? .ordered,
                                       exclusions: exclusions)
            default:
                throw CLIError.usage("give --funnel NAME (a funnel of the plan) or --steps a,b,c")
            }
        } catch let error as FunnelQuery.Invalid {
            throw CLIError.usage("--\(error.field): \(error.description)")
        }
    }

    static func csvRow(_ breakdown: String, _ step: FunnelStepResult) -> [String] {
        func number(_ x: Double?) -> String { x.map(JSONWriter.formatNumber) ?? "" }
        return [breakdown, step.name, String(step.count), number(step.rateFromPrevious), number(step.rateFromStart), String(step.dropped),
                number(step.medianSecondsFromPrevious), number(step.p90SecondsFromPrevious)]
    }

    static func percent(_ rate: Double?) -> String { rate.map { String(format: "%.1f%%", $0 * 100) } ?? "-" }

    /// 90 → "1m30s", 7200 → "2h".
    static func duration(_ seconds: Int64) -> String {
        if seconds % 86_400 == 0, seconds > 0 { return "\(seconds / 86_400)d" }
        if seconds >= 3600 { return "\(seconds / 3600)h" + (seconds % 3600 >= 60 ? "\(seconds % 3600 / 60)m" : "") }
        if seconds >= 60 { return "\(seconds / 60)m" + (seconds % 60 > 0 ? "\(seconds % 60)s" : "") }
        return "\(seconds)s"
    }
}

extension FunnelQuery.Order: ExpressibleByArgument {}
extension FunnelQuery.Unit: ExpressibleByArgument {}
