import StepwiseStorage

/// The election of the node that sends webhooks and alerts, in ClickHouse (`monitors`): every
/// node checks in every few seconds, and of those seen within `staleAfterSeconds` the one up
/// longest sends. A node started later never takes over from a live one; it stands by, keeping
/// its audience and alert state current without sending, so when the sender stops checking in
/// the next in line takes over without resending what was already sent; a node that was away
/// that long comes back as the newest, so it does not take over again with its stale state.
/// Every time is ClickHouse's own clock, so the nodes' clocks need not agree.
public actor ClickHouseMonitors: MonitorElection {
    public let client: ClickHouseClient
    public let staleAfterSeconds: Int
    /// This node's first check-in, on ClickHouse's clock (milliseconds).
    private var started: Int64?

    public init(client: ClickHouseClient, staleAfterSeconds: Int = 30) {
        self.client = client
        self.staleAfterSeconds = staleAfterSeconds
    }

    private static let now = "toInt64(toUInt32(now())) * 1000"

    public func checkIn(node: String) async throws -> Bool {
        let table = "\(client.endpoint.database).monitors"
        // Away as long as the others judge it (ClickHouse's clock, whole seconds): it comes back as
        // the newest. Judged by its own clock instead, a node away just over the window could find
        // itself still fresh after the next in line had taken over, and take over again, stale.
        if let started {
            let fresh = try await client.rows("""
                SELECT max(seen) >= \(Self.now) - \(staleAfterSeconds * 1000)
                FROM \(table)
                WHERE node = \(SQL.quote(node)) AND started = \(started)
                """)
            if fresh.first?.first != .number(1) { self.started = nil }
        }
        if started == nil {
            guard let now = try await client.rows("SELECT \(Self.now)").first?.first?.number else { throw ClickHouseError.malformed("no time") }
            started = Int64(now)
        }
        try await client.execute("INSERT INTO \(table) (node, started, seen) SELECT \(SQL.quote(node)), \(started!), \(Self.now)")
        let rows = try await client.rows("""
            SELECT node
            FROM \(table)
            GROUP BY node, started
            HAVING max(seen) >= \(Self.now) - \(staleAfterSeconds * 1000)
            ORDER BY started, node
            LIMIT 1
            """)
        guard let sender = rows.first?.first?.string else { throw ClickHouseError.malformed("no monitor checked in: \(rows)") }
        return sender == node
    }
}
