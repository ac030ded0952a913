import Foundation
import StepwiseStorage

/// The cookieless daily salt (SPEC §3), kept in ClickHouse so every node hashes a visitor the
/// same way: the first salt stored for a day wins (lowest `seq`), whichever node wrote it; other
/// days' salts are deleted, so yesterday's visitors cannot be linked to today's.
public struct ClickHouseSalts: DailySaltSource {
    public let client: ClickHouseClient

    public init(client: ClickHouseClient) { self.client = client }

    public func dailySalt(day: String) async throws -> Data {
        let db = client.endpoint.database, d = SQL.quote(day)
        let read = "SELECT argMin(salt, seq) FROM \(db).salts WHERE day = \(d)"
        if let salt = try await client.rows(read).first?.first?.string, let data = Self.bytes(salt) { return data }
        var generator = SystemRandomNumberGenerator()
        let mine = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        let seq = UInt64(Date().timeIntervalSince1970 * 1000) << 20 | UInt64.random(in: 0..<(1 << 20))
        try await client.execute("INSERT INTO \(db).salts (day, salt, seq) VALUES (\(d), '\(mine)', \(seq))")
        try await client.execute("ALTER TABLE \(db).salts DELETE WHERE day != \(d)")
        // Another node may have stored one first: everyone takes the first.
        guard let salt = try await client.rows(read).first?.first?.string, let data = Self.bytes(salt) else {
            throw ClickHouseError.malformed("no salt for \(day) after storing one")
        }
        return data
    }

    static func bytes(_ hex: String) -> Data? {
        guard hex.utf8.count == 64 else { return nil }
        var out = Data()
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
            out.append(byte)
            index = next
        }
        return out
    }
}
