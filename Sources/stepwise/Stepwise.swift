import ArgumentParser
import Foundation

/// `stepwise`: micro-conversion analytics, self-hosted.
struct Stepwise: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stepwise",
        abstract: "Self-hosted analytics for micro-conversions.",
        subcommands: [ServeCommand.self, DemoCommand.self, SiteCommand.self, ImportCommand.self, ImportSpendCommand.self, AnnotateCommand.self, BackupCommand.self, RestoreCommand.self, EraseCommand.self, PruneCommand.self, ReportCommand.self, ExportCommand.self, AudienceCommand.self, ExperimentCommand.self, PlanCommand.self, ClickHouseCommand.self])
}

/// A failure the user caused (exit 2) or the system did (exit 1), reported as one line.
struct CLIError: Error, CustomStringConvertible {
    var message: String
    var exitCode: Int32
    var description: String { message }

    static func usage(_ message: String) -> CLIError { CLIError(message: message, exitCode: 2) }
    static func runtime(_ message: String) -> CLIError { CLIError(message: message, exitCode: 1) }
}

@main
enum Main {
    /// SPEC §6 exit codes: 0 ok, 1 runtime error, 2 bad usage or input, one line on stderr.
    static func main() async {
        do {
            try ConfigFile.apply(arguments: Array(CommandLine.arguments.dropFirst()))
            var command = try Stepwise.parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as CLIError {
            fail(error.message, code: error.exitCode)
        } catch let exit as ExitCode {
            Foundation.exit(exit.rawValue)
        } catch {
            let code = Stepwise.exitCode(for: error)
            if code == .success {
                print(Stepwise.fullMessage(for: error))
                Foundation.exit(0)
            }
            if code == .validationFailure {
                fail(Stepwise.message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid usage", code: 2)
            }
            fail(String(describing: error), code: 1)
        }
    }

    static func fail(_ message: String, code: Int32) -> Never {
        FileHandle.standardError.write(Data("stepwise: \(message)\n".utf8))
        Foundation.exit(code)
    }
}
