import Foundation
import NIOCore
import StepwiseCore
import StepwiseStorage

/// The registered sites in ClickHouse (`sites`), so every node accepts the same sites with the
/// same keys: each registration or removal adds a row, and a site is its latest (highest
/// `seq`, microseconds).
public struct ClickHouseSites: SharedSites {
    public let client: ClickHouseClient

    public init(client: ClickHouseClient) { self.client = client }

    public func sites() async throws -> [String: SiteSettings?] {
        var out: [String: SiteSettings?] = [:]
        let sql = "SELECT name, argMax(settings, seq), argMax(removed, seq) FROM \(client.endpoint.database).sites GROUP BY name"
        for row in try await client.rows(sql) {
            guard row.count == 3, let name = row[0].string, let json = row[1].string, let removed = row[2].number else {
                throw ClickHouseError.malformed("site row \(row)")
            }
            if removed != 0 { out[name] = .some(nil); continue }
            do { out[name] = try JSONDecoder().decode(SiteSettings.self, from: Data(json.utf8)) } catch {
                throw ClickHouseError.malformed("settings of site \(name): \(error)")
            }
        }
        return out
    }

    public func storeSite(_ site: SiteSettings) async throws {
        let settings = String(decoding: try JSONEncoder().encode(site), as: UTF8.self)
        try await client.insertLatest("sites", ["name": .string(site.name), "settings": .string(settings), "removed": .number(0)])
    }

    public func removeSite(_ name: String) async throws {
        try await client.insertLatest("sites", ["name": .string(name), "settings": .string(""), "removed": .number(1)])
    }
}
