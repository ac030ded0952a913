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

extension ClickHouseClient {
    /// One row into a small table every node reads (`plans`, `sites`), with `seq` the time in
    /// microseconds: the latest row of a key wins.
    func insertLatest(_ table: String, _ fields: KeyValuePairs<String, JSONValue>) async throws {
        var object = JSONObject()
        for (key, value) in fields { object.append(key, value) }
        // The object without its closing brace, then `seq` as an integer (a double would print as 1.8e+15).
        let row = JSONWriter.write(.object(object)).dropLast() + ",\"seq\":\(UInt64(Date().timeIntervalSince1970 * 1_000_000))}\n"
        try await execute("INSERT INTO \(endpoint.database).\(table) FORMAT JSONEachRow", body: ByteBuffer(string: String(row)))
    }
}
