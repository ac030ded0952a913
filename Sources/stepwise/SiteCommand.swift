import ArgumentParser
import Foundation
import StepwiseCore
import StepwiseStorage

/// `stepwise site add|list|remove`: the sites `serve` accepts events for.
struct SiteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "site", abstract: "Register the sites the server accepts events for.",
        subcommands: [SiteAddCommand.self, SiteListCommand.self, SiteRemoveCommand.self])
}

struct SiteAddCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Register a site.")

    @Argument(help: "The site's name, as events name it (e.g. shop.example).")
    var name: String
    @Option(help: "IANA time zone of the site, for reference (reports use the plan's timezone).")
    var timezone: String?
    @Option(name: .customLong("origin"), help: "Browser origin allowed to send events, e.g. https://shop.example (repeatable).")
    var origins: [String] = []
    @Option(name: .customLong("write-key"), help: "Key every event of this site must carry.")
    var writeKey: String?
    @Option(name: .customLong("segment-write-key"), help: "Segment write key (basic-auth user on /v1/*).")
    var segmentWriteKey: String?
    @Option(name: .customLong("ga4-measurement-id"), help: "GA4 Measurement Protocol measurement_id.")
    var ga4MeasurementID: String?
    @Option(name: .customLong("ga4-api-secret"), help: "GA4 Measurement Protocol api_secret.")
    var ga4APISecret: String?
    @OptionGroup var store: StoreOptions

    func run() async throws {
        var site = SiteSettings(name: name)
        site.timezone = timezone
        site.origins = origins
        site.writeKey = writeKey
        site.segmentWriteKey = segmentWriteKey
        site.ga4MeasurementID = ga4MeasurementID
        site.ga4APISecret = ga4APISecret
        if let problem = site.problem() {
            let option = ["name": "NAME", "origins": "--origin"][problem.field] ?? "--" + problem.field.replacingOccurrences(of: "_", with: "-")
            throw CLIError.usage("\(option): \(problem.reason)")
        }
        guard try store.open(loadEngine: false).addSite(site) else { throw CLIError.usage("NAME: site \(name) is already registered") }
        print("registered \(name)")
    }
}

struct SiteListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the registered sites.")
    @OptionGroup var store: StoreOptions

    func run() async throws {
        let sites = try store.open(loadEngine: false).sites()
        func set(_ value: String?) -> String { value == nil ? "no" : "yes" }
        print(TabularText.table(
            header: ["site", "timezone", "origins", "write key", "segment key", "ga4 stream"],
            rows: sites.map { [$0.name, $0.timezone ?? "-", $0.origins.joined(separator: " "), set($0.writeKey), set($0.segmentWriteKey), $0.ga4MeasurementID ?? "-"] },
            numericColumns: []), terminator: "")
    }
}

struct SiteRemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "remove", abstract: "Unregister a site (its events stay).")
    @Argument(help: "The site's name.")
    var name: String
    @OptionGroup var store: StoreOptions

    func run() async throws {
        guard try store.open(loadEngine: false).removeSite(name) else { throw CLIError.usage("NAME: site \(name) is not registered") }
        print("removed \(name); its events stay")
    }
}
