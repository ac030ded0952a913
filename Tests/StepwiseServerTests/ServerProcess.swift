import Foundation
import Testing
import StepwiseStorage

/// The real `stepwise serve` binary on a free port, for what only a process shows:
/// `kill -9`, signals.
enum ServerProcess {
    /// The `stepwise` executable next to the test bundle (`swift test` builds every product).
    static var binary: URL {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return executable.deletingLastPathComponent().appendingPathComponent("stepwise")
    }

    /// Starts `stepwise serve` (or `command`, such as `demo`) on a free port; returns the process
    /// and its port. `stderr` receives the server's diagnostics (default: discarded).
    static func start(database: String, arguments: [String] = [], stderr: FileHandle = .nullDevice,
                      command: [String] = ["serve", "--open-sites"], timeout: TimeInterval = 30) throws -> (Process, Int) {
        #expect(FileManager.default.isExecutableFile(atPath: binary.path), "build the package first: \(binary.path) is missing")
        let process = Process()
        process.executableURL = binary
        process.arguments = command + ["--db", database, "--port", "0"] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = stderr
        try process.run()
        var text = ""
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let data = output.fileHandleForReading.availableData
            if data.isEmpty { break }
            text += String(decoding: data, as: UTF8.self)
            if let range = text.range(of: #"127\.0\.0\.1:(\d+)/"#, options: .regularExpression) {
                let port = Int(text[range].dropFirst(10).dropLast())!
                return (process, port)
            }
        }
        process.terminate()
        throw StoreError("server did not start: \(text)")
    }
}
