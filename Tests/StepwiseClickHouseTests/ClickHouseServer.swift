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
        // The benchmarks' script starts it (config, data folder, pid file) and stops it by pid.
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Benchmarks/clickhouse.sh").standardized.path
        var lastError = "no port tried"
        for _ in 0..<5 {
            let http = Int.random(in: 20_000...45_000), tcp = http + 10_000
            let dir = directory.path
            // The watchdog: clickhouse-server runs as long as this test process does.
            let watchdog = """
                export CH_HTTP_PORT=\(http) CH_TCP_PORT=\(tcp)
                \(script) start \(dir) > \(dir).start.log 2>&1 || exit 1
                while kill -0 \(getpid()) 2>/dev/null; do sleep 1; done
                \(script) stop \(dir); rm -rf \(dir) \(dir).start.log
                """
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", watchdog]
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
            lastError = (try? String(contentsOfFile: dir + ".start.log", encoding: .utf8)).map { String($0.suffix(800)) } ?? "no log"
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
