/// Why a plan did not load: the file, the line, the key path and the reason, so the
/// message points at the exact place to fix (`stepwise.yml:14: conversions.video_75.when.evnt: unknown key`).
public struct PlanError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var key: String
    public var reason: String

    public init(file: String, line: Int, key: String, reason: String) {
        self.file = file
        self.line = line
        self.key = key
        self.reason = reason
    }

    public var description: String { "\(file):\(line): \(key.isEmpty ? "" : key + ": ")\(reason)" }
}
