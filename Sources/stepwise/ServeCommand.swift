import ArgumentParser
import Foundation
import Hummingbird
import StepwiseCore
import StepwiseServer
import StepwiseStorage

/// `stepwise serve`: the HTTP server on the embedded store.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the HTTP server.")

    @OptionGroup var store: StoreOptions
    @OptionGroup var server: ServerOptions

    func run() async throws {
        let eventStore = try store.open()
        try await serve(eventStore, server, banner: "Stepwise")
    }
}

/// Runs the server until SIGTERM/SIGINT; prints the URL once listening.
func serve(_ store: EventStore, _ options: ServerOptions, banner: String) async throws {
    var configuration = ServerConfiguration()
    configuration.host = options.host
    configuration.port = options.port
    configuration.adminToken = options.adminToken
    configuration.corsOrigins = options.corsOrigins
    configuration.rateLimitPerSecond = options.rateLimit
    configuration.rateLimitBurst = options.rateLimit * 2
    configuration.botNetworks = try NetworkList(options.botNetworks)
    for pair in options.writeKeys {
        let parts = pair.split(separator: "=", maxSplits: 1)
        configuration.writeKeys[String(parts[0])] = String(parts[1])
    }
    let host = options.host
    let eventCount = store.live.snapshot().count
    let app = buildApplication(store: store, configuration: configuration) { port in
        // Unbuffered, so scripts waiting for this line see it at once.
        FileHandle.standardOutput.write(Data("\(banner) listening on http://\(host):\(port)/ (\(eventCount) events, database \(store.path))\n".utf8))
    }
    do {
        try await app.runService()
    } catch {
        throw CLIError.runtime("server stopped: \(error)")
    }
}
