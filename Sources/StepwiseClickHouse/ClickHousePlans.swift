import Foundation
import NIOCore
import StepwiseCore
import StepwiseStorage

/// The tracking plans in ClickHouse (`plans`), so every node serves the same ones: each PUT
/// adds a row, and a site's plan is its latest (highest `seq`, microseconds).
public struct ClickHousePlans: SharedPlans {
    public let client: ClickHouseClient

    public init(client: ClickHouseClient) { self.client = client }

    public func planTexts() async throws -> [String: String] {
        var out: [String: String] = [:]
        for row in try await client.rows("SELECT site, argMax(yaml, seq) FROM \(client.endpoint.database).plans GROUP BY site") {
            guard row.count == 2, let site = row[0].string, let yaml = row[1].string else { throw ClickHouseError.malformed("plan row \(row)") }
            out[site] = yaml
        }
        return out
    }

    public func storePlan(_ yaml: String, site: String) async throws {
        try await client.insertLatest("plans", ["site": .string(site), "yaml": .string(yaml)])
    }
}
