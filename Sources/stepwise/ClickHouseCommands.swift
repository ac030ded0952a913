import ArgumentParser
import Foundation
import StepwiseClickHouse
import StepwiseEngine
import StepwiseStorage

/// `--clickhouse` and its companions: where the scaled-out store is (SPEC §5).
struct ClickHouseOptions: ParsableArguments {
    private static let env = ProcessInfo.processInfo.environment

    @Option(name: .customLong("clickhouse"), help: "ClickHouse HTTP URL, e.g. http://127.0.0.1:8123: events and reports go there (env STEPWISE_CLICKHOUSE).")
    var url: String? = env["STEPWISE_CLICKHOUSE"]

    @Option(name: .customLong("clickhouse-database"), help: "ClickHouse database (env STEPWISE_CLICKHOUSE_DATABASE).")
    var database: String = env["STEPWISE_CLICKHOUSE_DATABASE"] ?? "stepwise"

    @Option(name: .customLong("clickhouse-user"), help: "ClickHouse user (env STEPWISE_CLICKHOUSE_USER).")
    var user: String? = env["STEPWISE_CLICKHOUSE_USER"]

    @Option(name: .customLong("clickhouse-password"), help: "ClickHouse password (env STEPWISE_CLICKHOUSE_PASSWORD).")
    var password: String? = env["STEPWISE_CLICKHOUSE_PASSWORD"]

    @Option(name: .customLong("clickhouse-cluster"), help: "Cluster the schema lives ON CLUSTER on (`clickhouse migrate` creates it there); reads then join each shard's own identities (env STEPWISE_CLICKHOUSE_CLUSTER).")
    var cluster: String? = env["STEPWISE_CLICKHOUSE_CLUSTER"]

    @Option(name: .customLong("clickhouse-spool"), help: "Local file that holds accepted events while ClickHouse is down, replayed when it is back (env STEPWISE_CLICKHOUSE_SPOOL).")
    var spool: String = env["STEPWISE_CLICKHOUSE_SPOOL"] ?? "./stepwise-clickhouse.spool"

    @Option(name: .customLong("config"), help: "YAML file with a clickhouse: section (url, database, user, password, cluster, spool); flags and env win over it (env STEPWISE_CONFIG).")
    var config: String?

    /// The endpoint, when `--clickhouse` is given; a bad URL or database name is a usage error.
    func endpoint() throws -> ClickHouseEndpoint? {
        guard let url else { return nil }
        do {
            if let cluster { try ClickHouseSchema.check(cluster: cluster) }
            return try ClickHouseEndpoint(url: url, database: database, user: user, password: password)
        } catch {
            throw CLIError.usage(error.description)
        }
    }
}

/// The reports ClickHouse answers from the CLI (`report events|funnel --clickhouse URL`).
struct ReportSource {
    let options: SiteOptions
    let clickhouse: ClickHouseOptions

    init(options: ReportOptions, clickhouse: ClickHouseOptions) { self.init(options: options.scope, clickhouse: clickhouse) }

    init(options: SiteOptions, clickhouse: ClickHouseOptions) {
        self.options = options
        self.clickhouse = clickhouse
    }

    /// The store for the site's plan; with ClickHouse the events are there, so the local
    /// database need not hold any.
    func openSite() throws -> EventStore {
        try clickhouse.url == nil ? options.openSite() : options.store.open(loadEngine: false)
    }

    /// The annotations and ingest outcomes every node shares; nil on the embedded store.
    func sharedFacts() throws -> ClickHouseHealthFacts? {
        try clickhouse.endpoint().map { ClickHouseHealthFacts(client: ClickHouseClient($0), cluster: clickhouse.cluster) }
    }

    func run<Report>(_ store: EventStore, _ body: (any ReportBackend) async throws -> Report) async throws -> Report {
        guard let endpoint = try clickhouse.endpoint() else { return try await body(EngineBackend(live: store.live, directory: store)) }
        do {
            return try await body(ClickHouseBackend(client: ClickHouseClient(endpoint), cluster: clickhouse.cluster))
        } catch let error as ReportUnavailable {
            throw CLIError.runtime("--clickhouse: \(error.reason)")
        }
    }
}

/// `stepwise clickhouse schema|migrate`: the tables Stepwise owns in ClickHouse.
struct ClickHouseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clickhouse", abstract: "The ClickHouse schema: print it, or apply it to one server or a cluster.",
        subcommands: [Schema.self, Migrate.self])

    struct Schema: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the schema's DDL (ON CLUSTER with --cluster) for operators to apply.")

        @Option(name: .customLong("cluster"), help: "Cluster name: ReplicatedMergeTree tables and Distributed tables sharded by visitor.")
        var cluster: String?

        @Option(name: .customLong("clickhouse-database"), help: "Database name.")
        var database = "stepwise"

        func validate() throws {
            _ = try ClickHouseEndpoint(url: "http://localhost:8123", database: database)
            if let cluster {
                do { try ClickHouseSchema.check(cluster: cluster) } catch { throw ValidationError(error.description.replacingOccurrences(of: "--clickhouse-cluster", with: "--cluster")) }
            }
        }

        func run() throws {
            print("-- Stepwise schema version \(ClickHouseSchema.version)\(cluster.map { " for cluster \($0)" } ?? "")")
            print(ClickHouseSchema(database: database, cluster: cluster).script, terminator: "")
        }
    }

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create or bring up to date the schema: on one ClickHouse server, or ON CLUSTER through one of its servers with --clickhouse-cluster.")

        @OptionGroup var clickhouse: ClickHouseOptions

        func run() async throws {
            guard let endpoint = try clickhouse.endpoint() else { throw CLIError.usage("--clickhouse URL is required") }
            do {
                let version = try await ClickHouseSchema(database: endpoint.database, cluster: clickhouse.cluster).migrate(ClickHouseClient(endpoint))
                print("\(endpoint.database) on \(clickhouse.cluster.map { "cluster \($0) through " } ?? "")\(endpoint.url): schema version \(version)")
            } catch {
                throw CLIError.runtime("\(error)")
            }
        }
    }
}
