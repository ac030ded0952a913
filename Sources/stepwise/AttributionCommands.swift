import ArgumentParser
import Foundation
import StepwiseCore
import StepwiseEngine
import StepwisePlan
import StepwiseStorage

/// `stepwise report attribution`: conversion credit per channel and campaign under each model,
/// and the progress each channel's persons made (SPEC §4.6).
struct AttributionReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attribution",
        abstract: "Credit for a macro per channel and campaign (first, last non-direct, linear, time decay, position), "
            + "assisted conversions, channel quality and cost.")

    @OptionGroup var options: ReportOptions
    @OptionGroup var clickhouse: ClickHouseOptions
    @Option(help: "The macro definition; default the plan's first macro.")
    var macro: String?
    @Option(help: "Models, comma-separated: first, last_non_direct, linear, time_decay, position; default all.")
    var model: String?
    @Option(help: "How far before a conversion a session counts as a touchpoint (default 30d).")
    var lookback: String?
    @Option(name: .customLong("segment"), help: "dimension=value filter (repeatable).")
    var segments: [String] = []

    func run() async throws {
        let source = ReportSource(options: options, clickhouse: clickhouse)
        let inputs = try PersonReportInputs(options, segments: segments, source: source)
        var query = try await usage {
            try AttributionQuery.fromOptions(
                site: options.site, plan: inputs.plan, from: inputs.range.from, to: inputs.range.to, segments: inputs.segments,
                includeBots: options.includeBots, macro: macro, model: model, lookback: lookback)
        }
        query.spend = try inputs.store.spend(site: options.site)
        let report = try await usage { try await source.run(inputs.store) { try await $0.attribution(query) } }
        let models = report.models
        func money(_ value: Double?) -> String { value.map { String(format: "%.2f", $0) } ?? "-" }
        func credit(_ row: AttributionRow) -> [String] { models.map { String(format: "%.2f", row.credit[$0] ?? 0) } }
        let costModel = models.contains(.lastNonDirect) ? AttributionModel.lastNonDirect : models[0]
        switch options.format {
        case .json: try options.printJSON(report)
        case .csv:
            let header = ["level", "channel", "campaign"] + models.map { "credit_\($0.rawValue)" } + models.map { "revenue_\($0.rawValue)" }
                + ["assisted", "persons", "macro_rate", "revenue_per_person", "cost", "cost_per_person", "cost_per_macro"]
            let levels = [("channel", report.channels, report.quality), ("campaign", report.campaigns, report.campaignQuality)]
            let rows = levels.flatMap { level, rows, quality in
                zip(rows, quality).map { row, q -> [String] in
                    [level, row.channel, row.campaign ?? ""] + models.map { PredictReportCommand.number(row.credit[$0]) }
                        + models.map { PredictReportCommand.number(row.revenue[$0]) }
                        + [String(row.assisted), String(q.persons), PredictReportCommand.number(q.macroRate.rate),
                           PredictReportCommand.number(q.revenuePerPerson), PredictReportCommand.number(row.cost),
                           PredictReportCommand.number(q.costPerPerson), PredictReportCommand.number(q.costPerMacro)]
                }
            }
            print(TabularText.csv(header: header, rows: rows), terminator: "")
        case .table:
            print("\(report.site): \(report.conversions) \(report.macro) conversions worth \(money(report.revenue))"
                  + "\(report.currency.map { " \($0)" } ?? "") from \(report.from ?? "the start") to \(report.to ?? "now"); lookback \(report.lookback)")
            let header = ["channel"] + models.map(\.rawValue) + ["assisted", "cost", "cost/\(costModel.rawValue)"]
            for (title, rows) in [("channels", report.channels), ("campaigns", report.campaigns)] where !rows.isEmpty {
                print("\n\(title)")
                print(TabularText.table(
                    header: header,
                    rows: rows.map { row in
                        [row.campaign.map { "\(row.channel) / \($0)" } ?? row.channel] + credit(row)
                            + [String(row.assisted), money(row.cost), money(row.costPerConversion?[costModel])]
                    },
                    numericColumns: Set(1...(models.count + 3))), terminator: "")
            }
            print("\nchannel quality (persons by the channel of their first session)")
            let micros = report.quality.first?.micros.map(\.name) ?? []
            print(TabularText.table(
                header: ["channel", "persons"] + micros + ["\(report.macro) rate", "revenue/person", "cost/person", "cost/\(report.macro)"],
                rows: (report.quality + report.campaignQuality).map { q in
                    [q.campaign.map { "\(q.channel) / \($0)" } ?? q.channel, String(q.persons)]
                        + q.micros.map { PredictReportCommand.share($0.rate) }
                        + [PredictReportCommand.share(q.macroRate), money(q.revenuePerPerson), money(q.costPerPerson), money(q.costPerMacro)]
                },
                numericColumns: Set(1...(micros.count + 5))), terminator: "")
            print(report.method)
        }
    }
}

/// `stepwise report paths`: the commonest micro sequences before the macro, and of non-converters.
struct PathsReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "paths", abstract: "The commonest sequences of micros before the macro, with each path's macro rate.")

    @OptionGroup var options: ReportOptions
    @OptionGroup var clickhouse: ClickHouseOptions
    @Option(help: "The macro definition; default the plan's first macro.")
    var macro: String?
    @Option(help: "How many paths to list per group (default 20).")
    var top: String?
    @Option(name: .customLong("max-length"), help: "Keep the last N steps of a path (default 6).")
    var maxLength: String?
    @Option(help: "Window before the end of the range (default 30d); not with --from.")
    var lookback: String?
    @Option(name: .customLong("segment"), help: "dimension=value filter (repeatable).")
    var segments: [String] = []

    func run() async throws {
        let source = ReportSource(options: options, clickhouse: clickhouse)
        let inputs = try PersonReportInputs(options, segments: segments, source: source)
        let report = try await usage {
            let query = try PathsQuery.fromOptions(
                site: options.site, plan: inputs.plan, from: inputs.range.from, to: inputs.range.to, segments: inputs.segments,
                includeBots: options.includeBots, macro: macro, top: top, maxLength: maxLength, lookback: lookback)
            return try await source.run(inputs.store) { try await $0.paths(query) }
        }
        switch options.format {
        case .json: try options.printJSON(report)
        case .csv:
            let rows = [("converting", report.converting), ("non_converting", report.nonConverting)].flatMap { group, paths in
                paths.map { [group, $0.steps.joined(separator: " > "), String($0.truncated), String($0.persons), String($0.converters),
                             PredictReportCommand.number($0.macroRate.rate)] }
            }
            print(TabularText.csv(header: ["group", "path", "truncated", "persons", "converters", "macro_rate"], rows: rows), terminator: "")
        case .table:
            print("\(report.site): \(report.converters) of \(report.persons) persons reached \(report.macro) from \(report.from ?? "-") to \(report.to ?? "-")")
            print("\npaths to \(report.macro)")
            print(TabularText.table(header: ["path", "converters", "persons", "macro rate"],
                                    rows: report.converting.map { [$0.text, String($0.converters), String($0.persons), RatesReportCommand.percent($0.macroRate)] },
                                    numericColumns: [1, 2]), terminator: "")
            print("\npaths of persons who did not convert")
            print(TabularText.table(header: ["path", "persons without", "macro rate"],
                                    rows: report.nonConverting.map { [$0.text, String($0.persons - $0.converters), RatesReportCommand.percent($0.macroRate)] },
                                    numericColumns: [1]), terminator: "")
            print(report.method)
        }
    }
}

/// `stepwise report bidding`: per macro, what to bid on (SPEC §4.8).
struct BiddingReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bidding",
        abstract: "Per macro: its conversions in the last 30 days and whether to bid on it, on a micro, or on both.",
        discussion: "Under 30 conversions bid on the strongest high-intent predicting micro; 30 to 50 keep both; over 50 the macro. "
            + "The 30 days end at --to (default: the site's last event).")

    @OptionGroup var options: ReportOptions
    @OptionGroup var clickhouse: ClickHouseOptions

    func run() async throws {
        guard options.from == nil else { throw CLIError.usage("--from: bidding counts the 30 days before --to; give --to only") }
        let source = ReportSource(options: options, clickhouse: clickhouse)
        let inputs = try PersonReportInputs(options, segments: [], source: source)
        let report = try await usage {
            try await source.run(inputs.store) {
                try await $0.bidding(site: options.site, plan: inputs.plan, to: inputs.range.to, includeBots: options.includeBots)
            }
        }
        let rows = report.macros.map { a in
            [a.macro, String(a.conversions), a.recommendation.rawValue, a.primary.joined(separator: ", "), a.secondary.joined(separator: ", ")]
        }
        let header = ["macro", "conversions (30 d)", "recommendation", "primary", "secondary"]
        switch options.format {
        case .json: try options.printJSON(report)
        case .csv: print(TabularText.csv(header: header + ["why"], rows: zip(rows, report.macros).map { $0 + [$1.why] }), terminator: "")
        case .table:
            print("\(report.site): \(report.from) to \(report.to)")
            print(TabularText.table(header: header, rows: rows, numericColumns: [1]), terminator: "")
            for advice in report.macros { print("  \(advice.macro): \(advice.why)") }
        }
    }
}

/// `stepwise export ads`: conversions for an ad platform's offline import.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export", abstract: "Export data for other systems.", subcommands: [ExportAdsCommand.self])
}

struct ExportAdsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ads",
        abstract: "Conversions as a Google Ads offline click conversions CSV or a Meta Conversions API JSON body.",
        discussion: "Google rows need a gclid, Meta events an fbclid, seen in the 90 days before the conversion; the others are "
            + "skipped and counted on stderr.")

    @OptionGroup var options: SiteOptions
    @OptionGroup var clickhouse: ClickHouseOptions
    @Option(help: "google or meta.")
    var platform: String
    @Option(help: "The definition to export; default the plan's first macro.")
    var conversion: String?
    @Option(help: "The platform's name for it (Google conversion action, Meta event name); default the definition's name.")
    var name: String?
    @Option(help: "Write to this file instead of standard output.")
    var output: String?

    func run() async throws {
        let source = ReportSource(options: options, clickhouse: clickhouse)
        let inputs = try PersonReportInputs(options, segments: [], store: source.openSite())
        let export = try await usage {
            let query = try AdsExportQuery.fromOptions(
                site: options.site, plan: inputs.plan, from: inputs.range.from, to: inputs.range.to, includeBots: options.includeBots,
                platform: platform, conversion: conversion, platformName: name)
            return try await source.run(inputs.store) { try await $0.adsExport(query) }
        }
        if let output {
            guard FileManager.default.createFile(atPath: output, contents: Data(export.body.utf8)) else {
                throw CLIError.runtime("cannot write \(output)")
            }
        } else {
            print(export.body, terminator: "")
        }
        FileHandle.standardError.write(Data("\(export.summary)\n".utf8))
    }
}

/// `stepwise import-spend FILE`: ad spend per day, channel and campaign, for cost per micro and macro.
struct ImportSpendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-spend",
        abstract: "Import ad spend from CSV: date, channel, campaign, cost, currency.",
        discussion: "Channels are the default channel group names (Paid Search, Paid Social, Display, ...). A row for a date, "
            + "channel and campaign already imported replaces it. A bad row refuses the whole file (exit 2).")

    @Argument(help: "CSV file, or - for standard input.")
    var file: String
    @Option(help: "Site the spend belongs to.")
    var site: String
    @OptionGroup var store: StoreOptions

    func run() async throws {
        let data: Data
        if file == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let contents = FileManager.default.contents(atPath: file) else { throw CLIError.usage("cannot read \(file)") }
            data = contents
        }
        guard let text = String(data: data, encoding: .utf8) else { throw CLIError.usage("\(file) is not UTF-8 text") }
        let rows: [AdSpend]
        do { rows = try AdSpend.parseCSV(text) } catch { throw CLIError.usage("\(file): \(error)") }
        let eventStore = try store.open(loadEngine: false)
        do {
            let (added, replaced) = try eventStore.importSpend(site: site, rows)
            let total = rows.reduce(0) { $0 + $1.cost }
            print("\(site): \(added) spend rows added, \(replaced) replaced (\(String(format: "%.2f", total)) \(rows[0].currency) in this file)")
        } catch let error as StoreError where error.message.hasPrefix("currency:") {
            throw CLIError.usage("\(file): \(error.message)")
        }
    }
}
