/// A person's engine key carried on a report row for the backend to look the person's ids
/// up, and left out of the answer: it is encoded as nothing and decodes as 0.
@propertyWrapper
public struct EngineOnly: Sendable, Equatable, Codable {
    public var wrappedValue: UInt32

    public init(wrappedValue: UInt32) { self.wrappedValue = wrappedValue }
    public init(from decoder: any Decoder) throws { wrappedValue = 0 }
    public func encode(to encoder: any Encoder) throws {}
}

extension KeyedEncodingContainer {
    /// Writes no key at all for an `EngineOnly` field.
    public mutating func encode(_ value: EngineOnly, forKey key: Key) throws {}
}

extension KeyedDecodingContainer {
    public func decode(_ type: EngineOnly.Type, forKey key: Key) throws -> EngineOnly { EngineOnly(wrappedValue: 0) }
}
