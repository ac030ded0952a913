import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import StepwiseServer

/// The real binary behind a (simulated) reverse proxy: the client's IP is used for the
/// cookieless id and never written to the database or the logs.
@Suite(.serialized) struct RawIPTests {
    /// Secrets given to the server, and wrong ones presented to it, never reach its logs either.
    static let secrets = ["ADMIN-SECRET-XYZ", "WRITE-SECRET-XYZ", "HOOK-SECRET-XYZ", "WRONG-TOKEN-QQQ", "WRONG-KEY-QQQ"]

    @Test func aClientIPOrASecretIsNeverWrittenToTheDatabaseOrTheLogs() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("stepwise-ip-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let logPath = directory.appendingPathComponent("server.log").path
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try #require(FileHandle(forWritingAtPath: logPath))
        let (server, port) = try ServerProcess.start(database: directory.appendingPathComponent("ip.db").path,
                                                     arguments: ["--trusted-proxy", "127.0.0.0/8", "--health-interval", "1s", "--admin-token", "ADMIN-SECRET-XYZ",
                                                                 "--write-key", "shop.example=WRITE-SECRET-XYZ", "--webhook-secret", "HOOK-SECRET-XYZ"], stderr: log)
        let client = TestClient(host: "127.0.0.1", port: port)
        client.connect()
        let forwarded: HTTPFields = [HTTPField.Name("X-Forwarded-For")!: "203.0.113.77", .userAgent: "Mozilla/5.0 Firefox/126.0",
                                     HTTPField.Name("X-Stepwise-Key")!: "WRITE-SECRET-XYZ"]
        // Wrong credentials are refused without being echoed to the log.
        let wrongKey = try await client.post("/api/v1/events", headers: [HTTPField.Name("X-Stepwise-Key")!: "WRONG-KEY-QQQ"],
                                             body: ByteBuffer(string: #"{"site":"shop.example","event":"pageview","visitor":"v"}"#))
        #expect(wrongKey.status == .unauthorized)
        let wrongToken = try await client.get("/api/v1/sites", headers: [.authorization: "Bearer WRONG-TOKEN-QQQ"])
        #expect(wrongToken.status == .unauthorized)
        #expect(try await client.get("/api/v1/sites", headers: [.authorization: "Bearer ADMIN-SECRET-XYZ"]).status == .ok)
        let good = try await client.post("/api/v1/events?cookieless=1", headers: forwarded,
                                         body: ByteBuffer(string: #"{"site":"shop.example","event":"pageview","url":"https://shop.example/"}"#))
        #expect(good.status == .accepted)
        let bad = try await client.post("/api/v1/events", headers: forwarded, body: ByteBuffer(string: #"{"site":"shop.example","event":"pageview"}"#))
        #expect(bad.status == .badRequest)
        let plausible = try await client.post("/api/event", headers: forwarded,
                                              body: ByteBuffer(string: #"{"name":"pageview","url":"https://shop.example/a","domain":"shop.example"}"#))
        #expect(plausible.status == .accepted)
        try? await client.shutdown()
        try await Task.sleep(for: .milliseconds(1200))   // a health check runs and logs
        kill(server.processIdentifier, SIGTERM)
        server.waitUntilExit()
        try log.close()
        for file in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
            let bytes = try Data(contentsOf: directory.appendingPathComponent(file))
            #expect(bytes.range(of: Data("203.0.113.77".utf8)) == nil, "\(file) holds the client's IP")
            for secret in Self.secrets where file == "server.log" {
                #expect(bytes.range(of: Data(secret.utf8)) == nil, "the log holds \(secret)")
            }
        }
    }
}
