import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import StepwiseClickHouse

/// A private clickhouse-server for the suite: data in a temp folder, 127.0.0.1 on free
/// ports, started once and stopped with the test process (a watchdog shell kills it when
/// this process is gone, even after a crash). A missing clickhouse-server fails the suite:
/// `.ci/run` installs it.
final class ClickHouseServer: Sendable {
    static let shared: ClickHouseServer = {
        do { return try ClickHouseServer() } catch { fatalError("cannot start clickhouse-server: \(error)") }
    }()

    let url: String
    let directory: URL

    private init() throws {
        let binary = "/usr/sbin/clickhouse-server"
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw ClickHouseError.unreachable("\(binary) is missing: apt-get install clickhouse-server (.ci/run does)")
        }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("stepwise-clickhouse-\(UUID().uuidString)")
        for sub in ["data", "tmp", "user_files", "log", "format_schemas"] {
            try FileManager.default.createDirectory(at: directory.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        var lastError = "no port tried"
        for _ in 0..<5 {
            let http = Int.random(in: 20_000...45_000), tcp = http + 10_000
            let dir = directory.path
            try """
                <?xml version="1.0"?>
                <yandex>
                    <logger><level>warning</level><log>\(dir)/log/server.log</log><errorlog>\(dir)/log/error.log</errorlog></logger>
                    <http_port>\(http)</http_port>
                    <tcp_port>\(tcp)</tcp_port>
                    <listen_host>127.0.0.1</listen_host>
                    <max_concurrent_queries>32</max_concurrent_queries>
                    <mark_cache_size>268435456</mark_cache_size>
                    <path>\(dir)/data/</path>
                    <tmp_path>\(dir)/tmp/</tmp_path>
                    <user_files_path>\(dir)/user_files/</user_files_path>
                    <format_schema_path>\(dir)/format_schemas/</format_schema_path>
                    <users_config>users.xml</users_config>
                    <default_profile>default</default_profile>
                    <default_database>default</default_database>
                    <timezone>UTC</timezone>
                    <mlock_executable>false</mlock_executable>
                </yandex>
                """.write(to: directory.appendingPathComponent("config.xml"), atomically: true, encoding: .utf8)
            try """
                <?xml version="1.0"?>
                <yandex>
                    <profiles><default><max_memory_usage>8000000000</max_memory_usage></default></profiles>
                    <users><default><password></password><networks replace="replace"><ip>127.0.0.1</ip></networks>
                        <profile>default</profile><quota>default</quota></default></users>
                    <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows>
                        <read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
                </yandex>
                """.write(to: directory.appendingPathComponent("users.xml"), atomically: true, encoding: .utf8)
            // The watchdog: clickhouse-server runs as long as this test process does.
            let script = """
                cd \(dir) && \(binary) --config-file=\(dir)/config.xml >\(dir)/log/stdout.log 2>\(dir)/log/stderr.log </dev/null &
                server=$!
                echo $server > \(dir)/clickhouse.pid
                while kill -0 \(getpid()) 2>/dev/null && kill -0 $server 2>/dev/null; do sleep 1; done
                kill -TERM $server 2>/dev/null; sleep 3; kill -KILL $server 2>/dev/null; rm -rf \(dir)
                """
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", script]
            // Not the test's own pipes: the runner would wait for the watchdog to close them.
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let url = "http://127.0.0.1:\(http)"
            for _ in 0..<120 {
                if Self.ping(url) { self.url = url; return }
                if !process.isRunning { break }
                Thread.sleep(forTimeInterval: 0.5)
            }
            lastError = (try? String(contentsOf: directory.appendingPathComponent("log/error.log"), encoding: .utf8)).map { String($0.suffix(800)) } ?? "no log"
            process.terminate()
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
}

final class Mutexed<T: Sendable>: @unchecked Sendable {
    private var value: T
    private let lock = NSLock()
    init(_ value: T) { self.value = value }
    func set(_ v: T) { lock.lock(); value = v; lock.unlock() }
    func get() -> T { lock.lock(); defer { lock.unlock() }; return value }
}
