/// A backend could not answer a report: it has no form of it yet (ClickHouse, for reports not
/// pushed down), or its store is away. Never a partial answer instead.
public struct ReportUnavailable: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable { case notSupported, storeUnavailable }

    public var kind: Kind
    public var report: String
    public var reason: String

    public init(_ kind: Kind, report: String, reason: String) {
        self.kind = kind
        self.report = report
        self.reason = reason
    }

    public var description: String { reason }
}
