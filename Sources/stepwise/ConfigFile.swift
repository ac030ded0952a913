import Foundation
import Yams

/// `--config FILE` (or env `STEPWISE_CONFIG`): the settings a node would otherwise take as flags
/// or environment variables, in one file an operator ships to every node. A flag wins over the
/// environment, and the environment over the file.
///
/// ```yaml
/// clickhouse:
///   url: http://127.0.0.1:8123
///   database: stepwise
///   user: default
///   password: secret
///   cluster: main
///   spool: /var/lib/stepwise/clickhouse.spool
/// ```
enum ConfigFile {
    /// Each setting and the environment variable it stands for.
    static let settings: KeyValuePairs<String, String> = [
        "clickhouse.url": "STEPWISE_CLICKHOUSE", "clickhouse.database": "STEPWISE_CLICKHOUSE_DATABASE",
        "clickhouse.user": "STEPWISE_CLICKHOUSE_USER", "clickhouse.password": "STEPWISE_CLICKHOUSE_PASSWORD",
        "clickhouse.cluster": "STEPWISE_CLICKHOUSE_CLUSTER", "clickhouse.spool": "STEPWISE_CLICKHOUSE_SPOOL",
    ]

    /// The file named by `--config FILE`, `--config=FILE` or `STEPWISE_CONFIG`.
    static func path(arguments: [String], environment: [String: String]) -> String? {
        for (k, argument) in arguments.enumerated() {
            if argument == "--config", k + 1 < arguments.count { return arguments[k + 1] }
            if argument.hasPrefix("--config=") { return String(argument.dropFirst("--config=".count)) }
        }
        return environment["STEPWISE_CONFIG"]
    }

    /// The environment variables the file's settings stand for.
    static func variables(yaml: String, file: String) throws(CLIError) -> [String: String] {
        let root: Any?
        do { root = try Yams.load(yaml: yaml) } catch { throw CLIError.usage("config \(file): not YAML: \(error)") }
        guard let root else { return [:] }
        guard let sections = root as? [String: Any] else { throw CLIError.usage("config \(file): must be a mapping of sections (clickhouse:)") }
        var out: [String: String] = [:]
        let known = settings.map(\.key).joined(separator: ", ")
        for (section, body) in sections.sorted(by: { $0.key < $1.key }) {
            guard let body = body as? [String: Any] else {
                throw CLIError.usage("config \(file): \(section) must be a mapping of settings (known: \(known))")
            }
            for (key, value) in body.sorted(by: { $0.key < $1.key }) {
                let name = "\(section).\(key)"
                guard let variable = settings.first(where: { $0.key == name })?.value else {
                    throw CLIError.usage("config \(file): \(name) is not a setting (known: \(known))")
                }
                switch value {
                case let text as String: out[variable] = text
                case let number as Int: out[variable] = String(number)
                default: throw CLIError.usage("config \(file): \(name) must be a string")
                }
            }
        }
        return out
    }

    /// Reads the file, if one is named, into the environment, under what is already set there.
    static func apply(arguments: [String]) throws(CLIError) {
        let environment = ProcessInfo.processInfo.environment
        guard let file = path(arguments: arguments, environment: environment) else { return }
        let text: String
        do { text = try String(contentsOfFile: file, encoding: .utf8) } catch { throw CLIError.usage("config \(file): cannot read it (\(error.localizedDescription))") }
        for (variable, value) in try variables(yaml: text, file: file) where environment[variable] == nil {
            setenv(variable, value, 0)
        }
    }
}
