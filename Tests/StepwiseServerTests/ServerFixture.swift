import Foundation
import Hummingbird
import HummingbirdTesting
import StepwiseCore
import StepwiseServer
import StepwiseStorage
import Testing

/// A server on a fresh database in a temp folder, driven over real sockets. The folder
/// lives as long as the fixture, so tests can inspect the store after the server stops.
final class ServerFixture {
    let directory: URL
    let store: EventStore
    /// `--plan` files the server starts with.
    var planFiles: [String] = []

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("stepwise-server-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        store = try EventStore(path: directory.appendingPathComponent("s.db").path)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    func run(_ configure: (inout ServerConfiguration) -> Void = { _ in }, _ test: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        var configuration = ServerConfiguration()
        configuration.port = 0
        configure(&configuration)
        let app = buildApplication(store: store, configuration: configuration, plans: try PlanRegistry(store: store, files: planFiles))
        try await app.test(.live) { client in try await test(client) }
    }
}

extension TestResponse {
    /// The body parsed as JSON, for assertions.
    var json: JSONValue { (try? JSONParser.parse(Array(body.readableBytesView))) ?? .null }
}

extension JSONValue {
    subscript(_ key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    subscript(_ index: Int) -> JSONValue? {
        if case .array(let items) = self, index < items.count { return items[index] }
        return nil
    }

    var int: Int? { if case .number(let n) = self { return Int(n) } else { return nil } }
    var string: String? { if case .string(let s) = self { return s } else { return nil } }
    var count: Int { if case .array(let items) = self { return items.count } else { return 0 } }
}

func body(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

/// One event's JSON, with an optional id and minute offset from a fixed recent time.
func eventJSON(_ name: String, visitor: String = "v1", site: String = "shop.example", id: String? = nil, minute: Int = 0, user: String? = nil) -> String {
    let time = Timestamp.formatRFC3339(Int64(Date().timeIntervalSince1970 * 1000) - 86_400_000 + Int64(minute) * 60_000)
    var fields = [#""site":"\#(site)""#, #""event":"\#(name)""#, #""visitor":"\#(visitor)""#, #""timestamp":"\#(time)""#]
    if let id { fields.append(#""id":"\#(id)""#) }
    if let user { fields.append(#""user":"\#(user)""#) }
    return "{" + fields.joined(separator: ",") + "}"
}

/// Runs a helper script (a browser session, an SDK client) to the end, off Swift's cooperative
/// threads: waiting on it there would starve the in-process server the script is talking to.
func runScript(_ arguments: [String]) async throws -> (status: Int32, output: String) {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            let run = Process()
            run.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            run.arguments = arguments
            let output = Pipe()
            run.standardOutput = output
            run.standardError = output
            do { try run.run() } catch {
                continuation.resume(throwing: error)
                return
            }
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            run.waitUntilExit()
            continuation.resume(returning: (run.terminationStatus, text))
        }
    }
}

/// A page's visible text: tags become spaces, entities are decoded, runs of space collapse,
/// so tests read a row as a person does ("Paid Search 1.00 1.00 0").
func visibleText(_ html: String) -> String {
    var text = html.replacingOccurrences(of: "<title>[^<]*</title>", with: " ", options: .regularExpression)
        .replacingOccurrences(of: "<[^>]+>", with: " ", options: .regularExpression)
    for (entity, character) in [("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&amp;", "&")] {
        text = text.replacingOccurrences(of: entity, with: character)
    }
    return text.replacingOccurrences(of: "\\s+", with: " ", options: .regularExpression)
}

/// A dashboard page's HTML, read with the admin token.
func dashboardPage(_ client: some TestClientProtocol, _ path: String, token: String? = "admin") async throws -> String {
    let response = try await client.execute(uri: path, method: .get, headers: token.map { [.authorization: "Bearer \($0)"] } ?? [:])
    #expect(response.status == .ok, "\(path): \(response.status)")
    return String(buffer: response.body)
}
