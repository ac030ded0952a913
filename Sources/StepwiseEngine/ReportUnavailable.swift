/// A backend could not answer a report because its store is away (ClickHouse unreachable or
/// failing the query). Never a partial answer instead.
public struct ReportUnavailable: Error, Sendable, CustomStringConvertible {
    public var report: String
    public var reason: String

    public init(report: String, reason: String) {
        self.report = report
        self.reason = reason
    }

    public var description: String { reason }
}
