import ArgumentParser
import Foundation
import StepwiseCore
import StepwiseEngine
import StepwisePlan
import StepwiseStorage

/// `--segment` filters and the site's plan, shared by the person-level commands.
struct PersonReportInputs {
    let store: EventStore
    let plan: TrackingPlan
    let segments: [Segment]
    let range: (from: Int64?, to: Int64?)

    init(_ options: ReportOptions, segments texts: [String]) throws {
        try self.init(options.scope, segments: texts)
    }

    /// With `source`, the store is opened for the site's plan only when its events are in ClickHouse.
    init(_ options: ReportOptions, segments texts: [String], source: ReportSource) throws {
        try self.init(options.scope, segments: texts, store: source.openSite())
    }

    init(_ options: SiteOptions, segments texts: [String], store: EventStore? = nil) throws {
        var segments: [Segment] = []
        for text in texts {
            do { segments.append(try Segment(parsing: text)) } catch { throw CLIError.usage("--\(error.description)") }
        }
        self.store = try store ?? options.openSite()
        guard let plan = try options.trackingPlan(self.store) else {
            throw CLIError.usage("site \(options.site) has no tracking plan; pass --plan stepwise.yml")
        }
        self.plan = plan
        self.segments = segments
        range = try options.range(plan)
    }

    var backend: EngineBackend { EngineBackend(live: store.live, directory: store) }
}

/// A query the plan cannot answer, as a usage error naming the option.
func usage<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as PredictQuery.Invalid {
        // The audience or experiment is the positional NAME, every other field an option.
        let name = ["audience", "experiment"].contains(error.field) ? "NAME" : "--" + error.field.replacingOccurrences(of: "_", with: "-")
        throw CLIError.usage("\(name): \(error.reason)")
    }
}

/// `stepwise report predict`: which micros predict the macro (SPEC §4.3).
struct PredictReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Per micro: the macro rate of persons who did it first against those who did not, lift, p-value, coverage, verdict.",
        discussion: "Only events before a person's first macro count. The JSON output adds the lag and the multivariate model.")

    @OptionGroup var options: ReportOptions
    @OptionGroup var clickhouse: ClickHouseOptions
    @Option(help: "The macro definition; default the plan's first macro.")
    var macro: String?
    @Option(help: "Comma-separated micros to judge; default every micro of the plan.")
    var micros: String?
    @Option(help: "Lookback before the end of the range (default 30d); not with --from.")
    var lookback: String?
    @Option(name: .customLong("segment"), help: "dimension=value filter (repeatable).")
    var segments: [String] = []

    func run() async throws {
        let source = ReportSource(options: options, clickhouse: clickhouse)
        let inputs = try PersonReportInputs(options, segments: segments, source: source)
        let report = try await usage {
            let query = try PredictQuery.fromOptions(
                site: options.site, plan: inputs.plan, from: inputs.range.from, to: inputs.range.to, segments: inputs.segments,
                includeBots: options.includeBots, macro: macro, micros: micros, lookback: lookback)
            return try await source.run(inputs.store) { try await $0.predict(query) }
        }
        let header = ["micro", "persons", "macro rate with (95% CI)", "without", "lift (95% CI)", "p", "coverage", "prevalence",
                      "odds ratio", "verdict"]
        let rows = report.micros.map { m -> [String] in
            [m.name, String(m.persons), RatesReportCommand.percent(m.rateWith), RatesReportCommand.percent(m.rateWithout),
             m.lift.map { String(format: "%.2f", $0) + (m.liftCi95.map { String(format: " (%.2f–%.2f)", $0[0], $0[1]) } ?? "") } ?? "-",
             Self.p(m.pValue) + (m.test == .fisher ? " F" : ""), Self.share(m.coverage), Self.share(m.prevalence),
             m.model.map { String(format: "%.2f", $0.oddsRatio) } ?? "-", m.verdict.rawValue]
        }
        switch options.format {
        case .json: try options.printJSON(report)
        case .csv:
            let csvRows = report.micros.map { m -> [String] in
                [m.name, String(m.persons), Self.number(m.rateWith.rate), Self.number(m.rateWithout.rate), Self.number(m.lift),
                 Self.number(m.liftCi95?[0]), Self.number(m.liftCi95?[1]), Self.number(m.pValue), m.test.rawValue,
                 Self.number(m.coverage.rate), Self.number(m.prevalence.rate), Self.number(m.lag?.medianSeconds),
                 Self.number(m.model?.oddsRatio), m.verdict.rawValue]
            }
            print(TabularText.csv(header: ["micro", "persons", "rate_with", "rate_without", "lift", "lift_ci_low", "lift_ci_high",
                                           "p_value", "test", "coverage", "prevalence", "lag_median_seconds", "odds_ratio", "verdict"],
                                  rows: csvRows), terminator: "")
        case .table:
            print("\(report.site): \(report.converters) of \(report.persons) persons reached \(report.macro) "
                  + "(\(RatesReportCommand.percent(report.baseRate))) from \(report.from ?? "-") to \(report.to ?? "-")")
            print(TabularText.table(header: header, rows: rows, numericColumns: [1, 8]), terminator: "")
            if let model = report.model {
                print("model: \(model.method); cross-validated AUC \(model.cvAuc.map { String(format: "%.3f", $0) } ?? "-") over \(model.folds) folds")
            }
            for m in report.micros { print("  \(m.name): \(m.why)") }
            print(report.caution)
        }
    }

    static func p(_ value: Double) -> String { value < 0.0001 ? "<0.0001" : String(format: "%.4f", value) }
    static func share(_ rate: Rate) -> String { rate.rate.map { String(format: "%.1f%%", $0 * 100) } ?? "-" }
    static func number(_ value: Double?) -> String { value.map { JSONWriter.formatNumber($0) } ?? "" }
}

/// `stepwise report score`: engagement scores, the warmest persons and how well scores rank converters.
struct ScoreReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Per person: the decayed sum of their micro completions' values; top persons, bands and ranking AUC.")

    @OptionGroup var options: ReportOptions
    @OptionGroup var clickhouse: ClickHouseOptions
    @Flag(help: "Values from the predictive model (10 × ln odds ratio, at least 0) instead of the plan.")
    var learned = false
    @Option(name: .customLong("half-life"), help: "Half-life of a completion's value (default 30d).")
    var halfLife: String?
    @Option(help: "How many top persons to list (default 50).")
    var top: String?
    @Option(help: "Macro whose later conversions the score should rank; default the plan's first macro.")
    var macro: String?
    @Option(help: "Cut-off date for the ranking AUC (default 7 days before the end).")
    var cutoff: String?
    @Option(name: .customLong("segment"), help: "dimension=value filter (repeatable).")
    var segments: [String] = []

    func run() async throws {
        let source = ReportSource(options: options, clickhouse: clickhouse)
        let inputs = try PersonReportInputs(options, segments: segments, source: source)
        let report = try await usage {
            let query = try ScoreQuery.fromOptions(
                site: options.site, plan: inputs.plan, from: inputs.range.from, to: inputs.range.to, segments: inputs.segments,
                includeBots: options.includeBots, top: top, halfLife: halfLife, learned: learned, macro: macro, cutoff: cutoff)
            return try await source.run(inputs.store) { try await $0.score(query) }
        }
        let rows = report.top.map { p -> [String] in
            [p.person, p.user ?? "", String(format: "%.2f", p.score), p.lastActivity,
             p.micros.map { $0.completions > 1 ? "\($0.name) ×\($0.completions)" : $0.name }.joined(separator: ", ")]
        }
        let header = ["person", "user", "score", "last activity", "micros"]
        switch options.format {
        case .json: try options.printJSON(report)
        case .csv: print(TabularText.csv(header: header, rows: rows), terminator: "")
        case .table:
            print("\(report.site): \(report.scoredPersons) of \(report.persons) persons scored as of \(report.asOf), "
                  + "half-life \(JSONWriter.formatNumber(report.halfLifeDays)) days, values from \(report.learned ? "the model" : "the plan")")
            print("bands: " + report.bands.map { "\($0.name) \($0.persons) (score ≥ \(String(format: "%.2f", $0.minScore)))" }.joined(separator: ", "))
            if let ranking = report.ranking {
                print("ranking: scores at \(ranking.cutoff) rank the \(ranking.converted) of \(ranking.persons) persons who reached "
                      + "\(ranking.macro) after it with AUC \(ranking.auc.map { String(format: "%.3f", $0) } ?? "-")")
            }
            print(TabularText.table(header: header, rows: rows, numericColumns: [2]), terminator: "")
        }
    }
}

/// `stepwise audience list|members|export`: the plan's audiences and who is in them.
struct AudienceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audience", abstract: "The plan's audiences and their members.",
        subcommands: [AudienceListCommand.self, AudienceMembersCommand.self, AudienceExportCommand.self])
}

struct AudienceListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Each audience: its rule and size.")
    @OptionGroup var options: ReportOptions
    @OptionGroup var clickhouse: ClickHouseOptions
    @Option(name: .customLong("segment"), help: "dimension=value filter (repeatable).")
    var segments: [String] = []

    func run() async throws {
        let source = ReportSource(options: options, clickhouse: clickhouse)
        let inputs = try PersonReportInputs(options, segments: segments, source: source)
        let results = try await usage {
            let query = AudienceQuery(site: options.site, plan: inputs.plan, asOf: inputs.range.to, segments: inputs.segments,
                                      includeBots: options.includeBots)
            return try await source.run(inputs.store) { try await $0.audiences(query, names: nil, limit: 0) }
        }
        let list = AudienceListReport(site: options.site, plan: inputs.plan, results: results)
        let rows = list.audiences.map { [$0.name, String($0.size), $0.rule, $0.webhook ? "yes" : "no"] }
        let header = ["audience", "members", "rule", "webhook"]
        switch options.format {
        case .json: try options.printJSON(list)
        case .csv: print(TabularText.csv(header: header, rows: rows), terminator: "")
        case .table: print(TabularText.table(header: header, rows: rows, numericColumns: [1]), terminator: "")
        }
    }
}

/// Members of one audience, shared by `members` (a page, table by default) and `export` (all, CSV by default).
struct AudienceMemberOptions: ParsableArguments {
    @Argument(help: "The audience's name in the plan.")
    var name: String
    @Option(name: .customLong("segment"), help: "dimension=value filter (repeatable).")
    var segments: [String] = []

    func run(_ options: ReportOptions, clickhouse: ClickHouseOptions, limit: Int?) async throws {
        let source = ReportSource(options: options, clickhouse: clickhouse)
        let inputs = try PersonReportInputs(options, segments: segments, source: source)
        let report = try await usage {
            let query = AudienceQuery(site: options.site, plan: inputs.plan, asOf: inputs.range.to, segments: inputs.segments,
                                      includeBots: options.includeBots)
            return try await source.run(inputs.store) { try await $0.audiences(query, names: [name], limit: limit) }
        }[0]
        let (header, rows) = report.exportRows
        switch options.format {
        case .json: try options.printJSON(report)
        case .csv: print(TabularText.csv(header: header, rows: rows), terminator: "")
        case .table:
            print("\(report.audience) (\(report.rule)): \(report.size) members as of \(report.asOf)")
            print(TabularText.table(header: header, rows: rows, numericColumns: [2]), terminator: "")
        }
    }
}

struct AudienceMembersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "members", abstract: "An audience's members, warmest first.")
    @OptionGroup var options: ReportOptions
    @OptionGroup var clickhouse: ClickHouseOptions
    @OptionGroup var members: AudienceMemberOptions
    @Option(help: "At most this many members (default 50).")
    var limit: Int = 50

    func validate() throws { guard limit >= 0 else { throw ValidationError("--limit must not be negative") } }
    func run() async throws { try await members.run(options, clickhouse: clickhouse, limit: limit) }
}

struct AudienceExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Every member of an audience, for a CRM or an ad platform (give --format csv or json).")
    @OptionGroup var options: ReportOptions
    @OptionGroup var clickhouse: ClickHouseOptions
    @OptionGroup var members: AudienceMemberOptions

    func run() async throws { try await members.run(options, clickhouse: clickhouse, limit: nil) }
}
