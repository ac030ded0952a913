import ArgumentParser
import Foundation
import StepwiseCore
import StepwiseEngine

/// `stepwise report …`: reports computed by the engine over the local store.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Compute a report.", subcommands: [EventsReportCommand.self])
}

/// Options every report takes: the site, the time range, bots, and the output format.
struct ReportOptions: ParsableArguments {
    @Option(help: "Site to report on.")
    var site: String

    @Option(help: "Start date (YYYY-MM-DD, UTC) or RFC 3339 timestamp, inclusive.")
    var from: String?

    @Option(help: "End date (YYYY-MM-DD, UTC, inclusive) or RFC 3339 timestamp (exclusive).")
    var to: String?

    @Flag(name: .customLong("include-bots"), help: "Count bot traffic too.")
    var includeBots = false

    @Option(help: "Output format: table, json or csv.")
    var format: OutputFormat = .table

    @OptionGroup var store: StoreOptions

    func range() throws -> (from: Int64?, to: Int64?) {
        do {
            return try DateBound.parse(from: from, to: to)
        } catch {
            throw CLIError.usage("--\(error.description)")
        }
    }
}

struct EventsReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events", abstract: "Per event name: events, persons and sessions.")

    @OptionGroup var options: ReportOptions

    func run() async throws {
        let range = try options.range()
        let store = try options.store.open()
        let table = store.live.snapshot()
        guard table.siteID(options.site) != nil else {
            let known = table.siteNames
            throw CLIError.usage("no events for site \(options.site)" + (known.isEmpty ? "" : "; sites: \(known.joined(separator: ", "))"))
        }
        let query = EventCountsQuery(site: options.site, from: range.from, to: range.to, includeBots: options.includeBots)
        let report = try await EngineBackend(live: store.live).eventCounts(query)
        let header = ["event", "events", "persons", "sessions"]
        let rows = report.events.map { [$0.event, String($0.events), String($0.persons), String($0.sessions)] }
        switch options.format {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        case .csv:
            print(TabularText.csv(header: header, rows: rows), terminator: "")
        case .table:
            print(TabularText.table(header: header, rows: rows, numericColumns: [1, 2, 3]), terminator: "")
        }
    }
}
