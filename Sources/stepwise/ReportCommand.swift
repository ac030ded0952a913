import ArgumentParser
import Foundation
import StepwiseCore
import StepwiseEngine
import StepwisePlan
import StepwiseStorage

/// `stepwise report …`: reports computed by the engine over the local store.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Compute a report.", subcommands: [EventsReportCommand.self, RatesReportCommand.self, FunnelReportCommand.self, PredictReportCommand.self, ScoreReportCommand.self, ExperimentReportCommand.self, HypothesesReportCommand.self, AttributionReportCommand.self, PathsReportCommand.self, BiddingReportCommand.self, HealthReportCommand.self, VolumesReportCommand.self])
}

/// What selects the data of a report or an export: the site, the time range, bots, the plan and the store.
struct SiteOptions: ParsableArguments {
    @Option(help: "Site to report on.")
    var site: String

    @Option(help: "Start date (YYYY-MM-DD, UTC) or RFC 3339 timestamp, inclusive.")
    var from: String?

    @Option(help: "End date (YYYY-MM-DD, UTC, inclusive) or RFC 3339 timestamp (exclusive).")
    var to: String?

    @Flag(name: .customLong("include-bots"), help: "Count bot traffic too.")
    var includeBots = false

    @Option(help: "Tracking plan file; default: the plan stored for the site (by the server or the demo).")
    var plan: String?

    @OptionGroup var store: StoreOptions

    /// The date range; dates are days of the plan's time zone (UTC without a plan).
    func range(_ plan: TrackingPlan?) throws -> (from: Int64?, to: Int64?) {
        do {
            return try DateBound.parse(from: from, to: to, calendar: plan?.calendar ?? .utc)
        } catch {
            throw CLIError.usage("--\(error.description)")
        }
    }

    /// Opens the store and checks the site has events.
    func openSite() throws -> EventStore {
        let store = try store.open()
        let table = store.live.snapshot()
        guard table.siteID(site) != nil else {
            let known = table.siteNames
            throw CLIError.usage("no events for site \(site)" + (known.isEmpty ? "" : "; sites: \(known.joined(separator: ", "))"))
        }
        return store
    }

    /// The plan from `--plan`, else the one stored for the site; nil when there is none.
    func trackingPlan(_ store: EventStore) throws -> TrackingPlan? {
        do {
            if let plan {
                let loaded = try TrackingPlanLoader.load(path: plan)
                guard loaded.site == site else { throw CLIError.usage("\(plan) is the plan of site \(loaded.site), not \(site)") }
                return loaded
            }
            return try store.planText(site: site).map { try TrackingPlanLoader.load(yaml: $0, file: "stored plan of \(site)") }
        } catch let error as PlanError {
            throw CLIError.usage(error.description)
        }
    }
}

/// Options every report takes: `SiteOptions` and the output format.
@dynamicMemberLookup
struct ReportOptions: ParsableArguments {
    @OptionGroup var scope: SiteOptions

    @Option(help: "Output format: table, json or csv.")
    var format: OutputFormat = .table

    subscript<T>(dynamicMember path: KeyPath<SiteOptions, T>) -> T { scope[keyPath: path] }
    func range(_ plan: TrackingPlan?) throws -> (from: Int64?, to: Int64?) { try scope.range(plan) }
    func openSite() throws -> EventStore { try scope.openSite() }
    func trackingPlan(_ store: EventStore) throws -> TrackingPlan? { try scope.trackingPlan(store) }

    func printJSON(_ value: some Encodable) throws {
        print(String(decoding: try ReportEncoding.encoder(pretty: true).encode(value), as: UTF8.self))
    }
}

struct EventsReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events", abstract: "Per event name: events, persons and sessions.")

    @OptionGroup var options: ReportOptions
    @OptionGroup var clickhouse: ClickHouseOptions

    func run() async throws {
        let source = ReportSource(options: options, clickhouse: clickhouse)
        let store = try source.openSite()
        let plan = try options.trackingPlan(store)
        let range = try options.range(plan)
        let timeout = plan?.sessionTimeoutMillis ?? SessionSplitter.defaultTimeoutMillis
        let query = EventCountsQuery(site: options.site, from: range.from, to: range.to, includeBots: options.includeBots,
                                     sessionTimeoutMillis: timeout)
        let report = try await source.run(store) { try await $0.eventCounts(query) }
        let header = ["event", "events", "persons", "sessions"]
        let rows = report.events.map { [$0.event, String($0.events), String($0.persons), String($0.sessions)] }
        switch options.format {
        case .json: try options.printJSON(report)
        case .csv: print(TabularText.csv(header: header, rows: rows), terminator: "")
        case .table: print(TabularText.table(header: header, rows: rows, numericColumns: [1, 2, 3]), terminator: "")
        }
    }
}
