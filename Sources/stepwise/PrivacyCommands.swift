import ArgumentParser
import Foundation
import StepwiseClickHouse
import StepwisePlan
import StepwiseStorage

/// `stepwise erase --site S --person P`: a person's events and ids, gone. Refused while a server
/// holds the database (use `DELETE /api/v1/sites/{site}/persons/{person}` on a running one).
struct EraseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "erase",
        abstract: "Erase a person (a user id or visitor id): their events, ids, audience memberships and webhook deliveries. Logged by hash.",
        discussion: "Refused while a server runs on the database (it caches ids): erase through DELETE /api/v1/sites/{site}/persons/{person} then.")

    @Option(help: "The site.") var site: String
    @Option(help: "The person: a user id, or a visitor id (with everything of the user it was linked to).") var person: String
    @OptionGroup var store: StoreOptions
    @OptionGroup var clickhouse: ClickHouseOptions

    func run() async throws {
        let record: ErasureRecord?
        if let endpoint = try clickhouse.endpoint() {
            // Scaled out: erased in ClickHouse, logged in this database (nodes keep no events to hold).
            let eventStore = try store.open(loadEngine: false)
            do {
                record = try await ClickHouseEraser(client: ClickHouseClient(endpoint), cluster: clickhouse.cluster)
                    .erase(site: site, person: person, loggingTo: eventStore)
            } catch let error as ClickHouseError {
                throw CLIError.runtime("--clickhouse: \(error); nothing is acknowledged, run it again")
            }
        } else {
            let hold = try store.hold(beside: "erase through DELETE /api/v1/sites/{site}/persons/{person} while it runs, or stop it first")
            defer { withExtendedLifetime(hold) {} }
            record = try await store.open(loadEngine: false).erase(site: site, person: person)
        }
        guard let record else {
            throw CLIError.usage("--person: site \(site) has no visitor or user \(person)")
        }
        print("erased \(record.events) events, \(record.visitors) visitor ids and \(record.users) user ids of one person on \(site) "
            + "(log entry \(record.id), sha256 \(record.personSha256 ?? ""))")
    }
}

/// `stepwise prune --older-than 395d`: what `serve --retention` does, once.
struct PruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune", abstract: "Delete events older than a period on every site, and the ids and strings only they used. Logged.")

    @Option(name: .customLong("older-than"), help: "A duration such as 395d or 26w.") var olderThan: String
    @OptionGroup var store: StoreOptions
    @OptionGroup var clickhouse: ClickHouseOptions

    func validate() throws {
        guard let millis = PlanDuration.millis(olderThan), millis >= 86_400_000 else {
            throw ValidationError("--older-than must be a duration of at least 1d, e.g. 395d or 26w, got '\(olderThan)'")
        }
    }

    func run() async throws {
        let cutoff = Int64(Date().timeIntervalSince1970 * 1000) - PlanDuration.millis(olderThan)!
        let record: ErasureRecord?
        if let endpoint = try clickhouse.endpoint() {
            let eventStore = try store.open(loadEngine: false)
            do {
                record = try await ClickHouseEraser(client: ClickHouseClient(endpoint), cluster: clickhouse.cluster)
                    .prune(before: cutoff, loggingTo: eventStore)
            } catch let error as ClickHouseError {
                throw CLIError.runtime("--clickhouse: \(error)")
            }
        } else {
            let hold = try store.hold(beside: "a server prunes by itself with serve --retention; or stop it first")
            defer { withExtendedLifetime(hold) {} }
            record = try await store.open(loadEngine: false).prune(before: cutoff)
        }
        guard let record else {
            print("nothing older than \(olderThan)")
            return
        }
        print("deleted \(record.events) events, \(record.visitors) visitor ids and \(record.users) user ids older than \(olderThan) (log entry \(record.id))")
    }
}
