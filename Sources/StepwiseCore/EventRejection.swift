/// Why one event was refused: a stable machine code, the field at fault, and a sentence.
public struct EventRejection: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, CaseIterable {
        case missingField = "missing_field"
        case invalidType = "invalid_type"
        case invalidValue = "invalid_value"
        case tooLong = "too_long"
        case tooManyProps = "too_many_props"
        case invalidEventName = "invalid_event_name"
        case invalidTimestamp = "invalid_timestamp"
        case futureTimestamp = "future_timestamp"
        case unknownField = "unknown_field"
        case invalidJSON = "invalid_json"
        case unauthorized = "unauthorized"
        /// The server accepts only registered sites (`stepwise site add`) and this is not one.
        case unknownSite = "unknown_site"
    }

    public var code: Code
    public var field: String?
    public var message: String

    public init(_ code: Code, field: String?, _ message: String) {
        self.code = code
        self.field = field
        self.message = message
    }

    public var description: String { message }
}
