import StepwiseCore
import StepwiseEngine

extension ClickHouseBackend {
    public func health(_ query: HealthQuery) async throws -> HealthReport {
        HealthCalculator.compute(query, volumes: try await healthVolumes(query))
    }

    /// What health judges, counted in ClickHouse: the same `HealthVolumes` the embedded store
    /// hands the calculator.
    public func healthVolumes(_ query: HealthQuery) async throws -> HealthVolumes {
        let sql = HealthSQL(query: query, schema: schema)
        let window = query.window
        var volumes = HealthVolumes()
        for row in try await rows(sql.traffic, report: "health") {
            guard row.count == 3, let hour = Self.hour(row[0]), let events = row[1].number, let bots = row[2].number else {
                throw ClickHouseError.malformed("health traffic row \(row)")
            }
            volumes.firstHour = min(volumes.firstHour ?? hour, hour)
            let start = Int64(hour) * VolumeIndex.hourMillis
            if start >= window.from && start < window.to { volumes.traffic[hour] = .init(events: Int32(events), botEvents: Int32(bots)) }
        }
        guard volumes.firstHour != nil else { return volumes }
        let definitions = HealthQuery.watchedDefinitions(of: query.plan).count
        for row in try await rows(sql.grid, report: "health") {
            guard row.count == 5, let series = row[0].string, let hour = Self.hour(row[1]), let device = row[2].number,
                  let browser = row[3].number, let events = row[4].number
            else { throw ClickHouseError.malformed("health row \(row)") }
            let counted: HealthVolumes.Series
            if series.hasPrefix("e:") {
                counted = .event(String(series.dropFirst(2)))
            } else if series.hasPrefix("d:"), let k = Int(series.dropFirst(2)), k < definitions {
                counted = .definition(k)
            } else {
                throw ClickHouseError.malformed("health row \(row)")
            }
            volumes.counts[.init(series: counted, hour: hour, device: UInt8(device), browser: UInt8(browser))] = Int32(events)
        }
        for row in try await rows(sql.propTypes, report: "health") {
            guard row.count == 6, let name = row[0].string, let key = row[1].string, let kind = row[2].number,
                  let type = ClickHouseRow.typeName(kind: UInt8(exactly: kind) ?? 0), let recent = row[3].number,
                  let events = row[4].number, let since = row[5].number
            else { throw ClickHouseError.malformed("health prop type row \(row)") }
            volumes.propTypes[.init(event: name, key: key, type: type, recent: recent != 0)] = .init(events: Int(events), since: Int32(since))
        }
        return volumes
    }

    private static func hour(_ value: JSONValue) -> Int32? {
        value.number.flatMap { Int32(exactly: $0) }
    }
}
