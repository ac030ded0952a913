/// The answer to a `PathsQuery`. Encoded with snake_case keys (`ReportEncoding`).
public struct PathsReport: Sendable, Equatable, Codable {
    public var site: String
    public var macro: String
    public var from: String?
    public var to: String?
    public var maxLength: Int
    /// Persons active in the window, and those of them who reached the macro.
    public var persons: Int
    public var converters: Int
    /// The commonest paths of converters (micros before their first macro), most converters first.
    public var converting: [MicroPath]
    /// The commonest paths of persons who did not convert, most such persons first.
    public var nonConverting: [MicroPath]
    public var method: String
}

/// One sequence of micros and the persons who followed it exactly.
public struct MicroPath: Sendable, Equatable, Codable {
    /// Micro names in order, consecutive repeats collapsed; empty for persons who did no micro.
    public var steps: [String]
    /// Whether earlier steps were cut to keep the last `max_length`.
    public var truncated: Bool
    public var persons: Int
    public var converters: Int
    /// Converters among all persons with this path.
    public var macroRate: Rate

    /// `a → b → c`, `… → b → c` when truncated, `(no micro)` when empty.
    public var text: String {
        steps.isEmpty ? "(no micro)" : ((truncated ? ["…"] : []) + steps).joined(separator: " → ")
    }
}
