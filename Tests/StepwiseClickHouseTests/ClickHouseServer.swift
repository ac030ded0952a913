import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import StepwiseClickHouse
import Testing

/// A private clickhouse-server for the suite: data in a temp folder, 127.0.0.1 on free
/// ports, started once and stopped with the test process (a watchdog shell kills it when
/// this process is gone, even after a crash). A missing clickhouse-server fails the suite:
/// `.ci/run` installs it. `cluster` is two of them, shards of one cluster over a ZooKeeper,
/// with the DDL `stepwise clickhouse schema --cluster` prints applied for real.
final class ClickHouseServer: Sendable {
    static let shared: ClickHouseServer = {
        do { return try ClickHouseServer(script: "clickhouse.sh", cluster: nil) } catch { fatalError("cannot start clickhouse-server: \(error)") }
    }()

    static let cluster: ClickHouseServer = {
        do { return try ClickHouseServer(script: "clickhouse-cluster.sh", cluster: "stepwise_test") } catch {
            fatalError("cannot start the ClickHouse cluster: \(error)")
        }
    }()

    /// The first server (shard 1 of a cluster).
    let url: String
    /// Every server: one, or one per shard.
    let urls: [String]
    let cluster: String?
    let directory: URL

    private init(script name: String, cluster: String?) throws {
        let binary = "/usr/sbin/clickhouse-server"
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw ClickHouseError.unreachable("\(binary) is missing: apt-get install clickhouse-server (.ci/run does)")
        }
        self.cluster = cluster
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("stepwise-clickhouse-\(UUID().uuidString)")
        // The benchmarks' scripts start it (config, data folder, pid files) and stop it by pid.
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Benchmarks/\(name)").standardized.path
        var lastError = "no port tried"
        for _ in 0..<5 {
            let http = Int.random(in: 20_000...45_000), tcp = http + 10_000, zookeeper = http - 8_000
            let urls = (cluster == nil ? [http] : [http, http + 1]).map { "http://127.0.0.1:\($0)" }
            let dir = directory.path
            // The watchdog: clickhouse-server runs as long as this test process does.
            let watchdog = """
                export CH_HTTP_PORT=\(http) CH_TCP_PORT=\(tcp) ZK_PORT=\(zookeeper) CH_CLUSTER=\(cluster ?? "")
                \(script) start \(dir) > \(dir).start.log 2>&1 || { \(script) stop \(dir); exit 1; }
                touch \(dir).ready
                while kill -0 \(getpid()) 2>/dev/null; do sleep 1; done
                \(script) stop \(dir); rm -rf \(dir) \(dir).start.log \(dir).ready
                """
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", watchdog]
            // Not the test's own pipes: the runner would wait for the watchdog to close them.
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Ready when the script is done (a cluster's servers answer /ping before they hold
            // a ZooKeeper session), with room for a machine busy running every other suite.
            for _ in 0..<360 {
                if FileManager.default.fileExists(atPath: dir + ".ready"), urls.allSatisfy(Self.ping) {
                    self.url = urls[0]; self.urls = urls; return
                }
                if !process.isRunning { break }
                Thread.sleep(forTimeInterval: 0.5)
            }
            lastError = (try? String(contentsOfFile: dir + ".start.log", encoding: .utf8)).map { String($0.suffix(800)) } ?? "no log"
            process.terminate()
            _ = try? Process.run(URL(fileURLWithPath: script), arguments: ["stop", dir])
        }
        throw ClickHouseError.unreachable("clickhouse-server did not start: \(lastError)")
    }

    static func ping(_ url: String) -> Bool {
        let done = DispatchSemaphore(value: 0)
        let answer = Mutexed<String?>(nil)
        let task = URLSession.shared.dataTask(with: URL(string: url + "/ping")!) { data, _, _ in
            answer.set(data.map { String(decoding: $0, as: UTF8.self) })
            done.signal()
        }
        task.resume()
        _ = done.wait(timeout: .now() + 2)
        return answer.get() == "Ok.\n"
    }

    /// An endpoint on a database of its own, so tests run side by side.
    func endpoint(_ name: String) throws -> ClickHouseEndpoint {
        try ClickHouseEndpoint(url: url, database: "t_\(name)_\(UInt32.random(in: 0...UInt32.max))")
    }

    /// One database on every server (one per shard on the cluster): where nodes behind a load
    /// balancer, each talking to its own server, would point.
    func endpoints(_ name: String) throws -> [ClickHouseEndpoint] {
        let database = try endpoint(name).database
        return try urls.map { try ClickHouseEndpoint(url: $0, database: database) }
    }

    /// Creates the schema as an operator would: `migrate` on one server; on the cluster, every
    /// statement of `stepwise clickhouse schema --cluster`, sent to shard 1.
    func createSchema(_ client: ClickHouseClient) async throws -> ClickHouseSchema {
        let schema = ClickHouseSchema(database: client.endpoint.database, cluster: cluster)
        if cluster == nil {
            _ = try await schema.migrate(client)
        } else {
            for statement in schema.statements { try await client.execute(statement, database: false) }
        }
        return schema
    }
}

/// Where a test runs: one server, or the two-shard cluster.
enum Topology: CaseIterable, CustomTestStringConvertible, Sendable {
    case oneServer, twoShards

    var server: ClickHouseServer { self == .oneServer ? .shared : .cluster }
    var testDescription: String { self == .oneServer ? "one server" : "two shards" }
}

final class Mutexed<T: Sendable>: @unchecked Sendable {
    private var value: T
    private let lock = NSLock()
    init(_ value: T) { self.value = value }
    func set(_ v: T) { lock.lock(); value = v; lock.unlock() }
    func get() -> T { lock.lock(); defer { lock.unlock() }; return value }
}
