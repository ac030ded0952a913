import ArgumentParser
import Foundation
import StepwiseStorage

/// `stepwise backup PATH`: an online, consistent copy of the database (the server may keep running).
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup", abstract: "Copy the database to PATH while it is in use (SQLite's online backup), then check the copy.")

    @Argument(help: "The backup file to create; never overwritten.")
    var path: String
    @OptionGroup var store: StoreOptions

    func run() async throws {
        guard !FileManager.default.fileExists(atPath: path) else { throw CLIError.usage("PATH: \(path) exists; a backup never overwrites a file") }
        do {
            let events = try StoreBackup.backup(database: store.db, to: path)
            print("backed up \(store.db) to \(path): \(events) events, integrity ok")
        } catch let error as StoreError {
            throw CLIError.runtime(error.message)
        }
    }
}

/// `stepwise restore BACKUP`: the database made from a backup (stop the server first).
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore", abstract: "Make the database (--db) from a backup, after checking it. Stop the server first.")

    @Argument(help: "The backup file.")
    var backup: String
    @Flag(help: "Replace an existing database.")
    var force = false
    @OptionGroup var store: StoreOptions

    func run() async throws {
        // A bad backup or an existing database is bad input (exit 2); a failed copy is a runtime error.
        do { _ = try StoreBackup.verify(backup) } catch let error as StoreError { throw CLIError.usage("BACKUP: \(error.message)") }
        if FileManager.default.fileExists(atPath: store.db), !force {
            throw CLIError.usage("--db: \(store.db) exists; pass --force to replace it with the backup")
        }
        do {
            let events = try StoreBackup.restore(backup: backup, to: store.db, replace: true)
            print("restored \(store.db) from \(backup): \(events) events, integrity ok")
        } catch let error as StoreError {
            throw CLIError.runtime(error.message)
        }
    }
}
