import ArgumentParser
import StepwisePlan
import Foundation
import StepwiseCore
import StepwiseStorage

/// `--db`, shared by every command that opens the store.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: "SQLite database file (env STEPWISE_DB).")
    var db: String = ProcessInfo.processInfo.environment["STEPWISE_DB"] ?? "./stepwise.db"

    /// Takes the database for this process (see `DatabaseHold`); keep the value alive as long
    /// as the hold is needed. `beside` says what to do instead while a server runs.
    func hold(beside alternative: String) throws -> DatabaseHold? {
        do {
            return try DatabaseHold.take(database: db)
        } catch {
            let holder = error.pid.map { "another Stepwise process (pid \($0))" } ?? "another Stepwise process"
            throw CLIError.runtime("--db: \(db) is held by \(holder): \(alternative)")
        }
    }

    func open(loadEngine: Bool = true) throws -> EventStore {
        do {
            return try EventStore(path: db, loadEngine: loadEngine)
        } catch {
            throw CLIError.runtime(String(describing: error))
        }
    }
}

/// `--host`, `--port` and the server's security settings, shared by `serve` and `demo`.
struct ServerOptions: ParsableArguments {
    @Option(help: "Address to listen on (env STEPWISE_HOST).")
    var host: String = ProcessInfo.processInfo.environment["STEPWISE_HOST"] ?? "127.0.0.1"

    @Option(help: "Port to listen on; 0 picks a free one (env STEPWISE_PORT).")
    var port: Int = ProcessInfo.processInfo.environment["STEPWISE_PORT"].flatMap(Int.init) ?? 8080

    @Option(name: .customLong("write-key"), help: "SITE=KEY: events for SITE need KEY (repeatable).")
    var writeKeys: [String] = []

    @Option(name: .customLong("admin-token"), help: "Bearer token required by report endpoints (env STEPWISE_ADMIN_TOKEN).")
    var adminToken: String? = ProcessInfo.processInfo.environment["STEPWISE_ADMIN_TOKEN"]

    @Option(name: .customLong("cors-origin"), help: "Origin allowed to send events from browsers (repeatable; default any).")
    var corsOrigins: [String] = []

    @Option(name: .customLong("rate-limit"), help: "Requests per second per client address; 0 = unlimited.")
    var rateLimit: Double = 0

    @Option(name: .customLong("site-rate-limit"), help: "Events per second per site (a 5-second burst, at least one batch); 0 = unlimited.")
    var siteRateLimit: Double = 0

    @Option(name: .customLong("plan"), help: "Tracking plan file (stepwise.yml), one per site (repeatable); reloaded on SIGHUP.")
    var planFiles: [String] = []

    @Option(name: .customLong("bot-network"), help: "CIDR block of data-centre traffic to mark as bots (repeatable; env STEPWISE_BOT_NETWORKS, comma-separated).")
    var botNetworks: [String] = ProcessInfo.processInfo.environment["STEPWISE_BOT_NETWORKS"].map { $0.split(separator: ",").map(String.init) } ?? []

    @Flag(name: .customLong("open-sites"), help: "Accept events for any site, not only registered ones (the demo's default).")
    var openSites = false

    @Option(name: .customLong("trusted-proxy"), help: "CIDR block of a reverse proxy whose X-Forwarded-For names the client (repeatable).")
    var trustedProxies: [String] = []

    @Option(name: .customLong("webhook-secret"), help: "Key that signs audience webhook bodies (HMAC-SHA256); webhooks are off without it (env STEPWISE_WEBHOOK_SECRET).")
    var webhookSecret: String? = ProcessInfo.processInfo.environment["STEPWISE_WEBHOOK_SECRET"]

    @Option(name: .customLong("audience-interval"), help: "How often audiences with a webhook are checked for new members, e.g. 60s or 5m.")
    var audienceInterval: String = "60s"

    var audienceIntervalMillis: Int64 { PlanDuration.millis(audienceInterval) ?? 60_000 }

    @Option(name: .customLong("health-interval"), help: "How often tracking health is checked for anomalies opening or closing, e.g. 5m.")
    var healthInterval: String = "5m"

    var healthIntervalMillis: Int64 { PlanDuration.millis(healthInterval) ?? 300_000 }

    @Option(name: .customLong("retention"), help: "Delete events older than this, e.g. 395d or 26w, at start and every 6 hours (env STEPWISE_RETENTION); default keep all.")
    var retention: String? = ProcessInfo.processInfo.environment["STEPWISE_RETENTION"]

    var retentionMillis: Int64? { retention.flatMap { PlanDuration.millis($0) } }

    func validate() throws {
        if let retention {
            guard let millis = PlanDuration.millis(retention), millis >= 86_400_000 else {
                throw ValidationError("--retention must be a duration of at least 1d, e.g. 395d or 26w, got '\(retention)'")
            }
        }
        guard let millis = PlanDuration.millis(audienceInterval), millis >= 1000 else {
            throw ValidationError("--audience-interval must be a duration of at least 1s, e.g. 60s or 5m, got '\(audienceInterval)'")
        }
        guard let health = PlanDuration.millis(healthInterval), health >= 1000 else {
            throw ValidationError("--health-interval must be a duration of at least 1s, e.g. 5m, got '\(healthInterval)'")
        }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard rateLimit >= 0 else { throw ValidationError("--rate-limit must not be negative") }
        guard siteRateLimit >= 0 else { throw ValidationError("--site-rate-limit must not be negative") }
        do {
            _ = try NetworkList(botNetworks)
        } catch {
            throw ValidationError("--bot-network \(error.description)")
        }
        for pair in writeKeys where pair.split(separator: "=", maxSplits: 1).count != 2 {
            throw ValidationError("--write-key must be SITE=KEY, got '\(pair)'")
        }
    }
}
