import ArgumentParser
import Foundation
import StepwiseClickHouse
import StepwiseCore
import StepwiseEngine
import StepwisePlan
import StepwiseStorage

/// `stepwise report health`: open and recent tracking anomalies with their evidence (SPEC §4.9).
struct HealthReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health",
        abstract: "Open and recent tracking anomalies (drops, spikes, silent events, broken conversion ratios, bot share), data quality and annotations.",
        discussion: "Judged as of now, or as of the end of --to.")

    @OptionGroup var options: ReportOptions
    @OptionGroup var clickhouse: ClickHouseOptions
    @Option(help: "Days listed, today included (default 14).")
    var days: String?
    @Option(help: "Weeks of same-weekday history the expected band is drawn from (default: the plan's health.history_weeks, else 4).")
    var weeks: String?

    func run() async throws {
        guard options.from == nil else { throw CLIError.usage("--from: health is judged as of a moment; give --to only") }
        guard !options.includeBots else { throw CLIError.usage("--include-bots: health counts human events and reports the bot share itself") }
        let source = ReportSource(options: options, clickhouse: clickhouse)
        let inputs = try PersonReportInputs(options, segments: [], source: source)
        let now = inputs.range.to ?? Int64(Date().timeIntervalSince1970 * 1000)
        var query = try await usage {
            try HealthQuery.fromOptions(site: options.site, plan: inputs.plan, now: now, days: days, weeks: weeks)
        }
        if let facts = try source.sharedFacts() {
            do { try await facts.attach(&query) } catch { throw CLIError.runtime("--clickhouse: \(error)") }
        } else {
            try inputs.store.attachHealthFacts(&query)
        }
        let report = try await source.run(inputs.store) { [query] in try await $0.health(query) }
        let header = ["state", "severity", "kind", "series", "segment", "since", "last", "observed", "expected", "z"]
        func row(_ a: Anomaly) -> [String] {
            let ratio = a.seriesKind == .ratio || a.seriesKind == .traffic
            func number(_ x: Double) -> String { ratio ? String(format: "%.3f", x) : String(format: "%.0f", x) }
            return [a.open ? "open" : "closed", a.severity.rawValue, a.kind.rawValue, "\(a.series) (\(a.seriesKind.rawValue))", a.segment ?? "all",
                    a.started, a.lastSeen, number(a.evidence.observed), number(a.evidence.expected), String(format: "%.1f", a.evidence.z)]
        }
        switch options.format {
        case .json: try options.printJSON(report)
        case .csv: print(TabularText.csv(header: header + ["why"], rows: (report.open + report.recent).map { row($0) + [$0.why] }), terminator: "")
        case .table:
            print("\(report.site): \(report.status.rawValue.replacingOccurrences(of: "_", with: " ")), \(report.open.count) open, "
                  + "\(report.recent.count) closed from \(report.from) to \(report.to) (as of \(report.evaluatedAt); "
                  + "\(report.seriesJudged) series judged, \(report.seriesWarmingUp) warming up)")
            if !report.open.isEmpty || !report.recent.isEmpty {
                print(TabularText.table(header: header, rows: (report.open + report.recent).map(row), numericColumns: [7, 8, 9]), terminator: "")
                for anomaly in report.open + report.recent { print("  \(anomaly.why)") }
            }
            let q = report.quality
            var quality = "accepted \(q.accepted), duplicates \(q.duplicates)"
                + (q.duplicateRate.map { String(format: " (%.1f %%)", $0 * 100) } ?? "")
            if !q.rejected.isEmpty { quality += "; rejected " + q.rejected.map { "\($0.code) \($0.count)" }.joined(separator: ", ") }
            if let share = q.botShare { quality += String(format: "; bot share %.1f %%", share * 100) + (q.botShareExpected.map { String(format: " (usually %.1f %%)", $0 * 100) } ?? "") }
            print("data quality: \(quality)")
            if !q.unplannedEvents.isEmpty { print("events no definition uses: " + q.unplannedEvents.map { "\($0.event) (\($0.events))" }.joined(separator: ", ")) }
            for drift in q.propTypeDrift {
                print("prop type drift: \(drift.event).\(drift.key) is usually \(drift.usualType), \(drift.events) arrived as \(drift.newType) since \(drift.since)")
            }
            for note in report.annotations { print("annotation \(note.at) \(note.kind): \(note.text)") }
        }
    }
}

/// `stepwise annotate TEXT --site S`: marks a deploy, a campaign or an incident on the timeline.
struct AnnotateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "annotate", abstract: "Add an annotation (a deploy, a campaign) to a site's timeline; health lists it beside anomalies near it.")

    @Argument(help: "What happened, up to 500 characters.")
    var text: String
    @Option(help: "Site it belongs to.")
    var site: String
    @Option(help: "deploy, campaign, incident, tracking or note.")
    var kind: String = "note"
    @Option(help: "When it happened (RFC 3339); default now.")
    var at: String?
    @OptionGroup var store: StoreOptions
    @OptionGroup var clickhouse: ClickHouseOptions

    func run() async throws {
        if let problem = Annotation.problem(kind: kind, text: text) { throw CLIError.usage("--\(problem.field == "text" ? "TEXT" : problem.field): \(problem.reason)") }
        var moment = Int64(Date().timeIntervalSince1970 * 1000)
        if let at {
            guard let parsed = Timestamp.parseRFC3339(at) else { throw CLIError.usage("--at: '\(at)' is not an RFC 3339 timestamp such as 2026-11-20T09:30:00Z") }
            moment = parsed
        }
        let annotation = Annotation(site: site, at: moment, kind: kind, text: text)
        let stored: Annotation
        if let endpoint = try clickhouse.endpoint() {
            do { stored = try await ClickHouseHealthFacts(client: ClickHouseClient(endpoint), cluster: clickhouse.cluster).addAnnotation(annotation) } catch {
                throw CLIError.runtime("--clickhouse: \(error)")
            }
        } else {
            stored = try store.open(loadEngine: false).addAnnotation(annotation)
        }
        print("annotation \(stored.id) on \(site) at \(Timestamp.formatRFC3339(stored.at)): \(stored.kind) “\(stored.text)”")
    }
}

/// `stepwise report volumes`: the hourly or daily counts health judges.
struct VolumesReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "volumes", abstract: "Hourly or daily counts per event and per plan definition (human events), whole or for one device or browser.")

    @OptionGroup var options: ReportOptions
    @OptionGroup var clickhouse: ClickHouseOptions
    @Option(help: "hour (UTC hours, default the last 7 days) or day (the plan's days, default the last 28).")
    var interval: String = "day"
    @Option(name: .customLong("segment"), help: "device=… or browser=…")
    var segment: String?

    func run() async throws {
        guard let chosen = VolumeReport.Interval(rawValue: interval) else { throw CLIError.usage("--interval: '\(interval)' is not an interval; use hour or day") }
        guard !options.includeBots else { throw CLIError.usage("--include-bots: volumes count human events; the bot share is in report health") }
        let source = ReportSource(options: options, clickhouse: clickhouse)
        let inputs = try PersonReportInputs(options, segments: segment.map { [$0] } ?? [], source: source)
        let (from, to) = VolumeReader.defaultRange(interval: chosen, from: inputs.range.from, to: inputs.range.to, now: Int64(Date().timeIntervalSince1970 * 1000))
        let report = try await usage {
            try await source.run(inputs.store) {
                try await $0.volumes(site: options.site, plan: inputs.plan, interval: chosen, from: from, to: to, segment: inputs.segments.first)
            }
        }
        let buckets = report.series.first?.points.map(\.at) ?? []
        let header = ["series", "kind", "total"] + buckets
        let rows = report.series.map { [$0.name, $0.kind.rawValue, String($0.total)] + $0.points.map { String($0.count) } }
        switch options.format {
        case .json: try options.printJSON(report)
        case .csv: print(TabularText.csv(header: header, rows: rows), terminator: "")
        case .table:
            // A table as wide as its buckets is unreadable: totals, and the last seven buckets.
            let shown = max(buckets.count - 7, 0)
            print("\(report.site): \(report.interval.rawValue)ly counts from \(report.from) to \(report.to)\(report.segment.map { " on \($0)" } ?? "")")
            print(TabularText.table(header: ["series", "kind", "total"] + buckets.dropFirst(shown), rows: rows.map { Array($0.prefix(3)) + $0.dropFirst(3 + shown) },
                                    numericColumns: Set(2..<(3 + buckets.count - shown))), terminator: "")
        }
    }
}
