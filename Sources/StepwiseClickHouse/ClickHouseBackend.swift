import StepwiseCore
import StepwiseEngine
import StepwisePlan

/// Answers reports in ClickHouse (SPEC §5): each query compiled to SQL, only aggregates
/// coming back; the report is then assembled by the engine's own code, so rounding, rates,
/// intervals and ordering are the embedded engine's.
///
/// Every report has a SQL form; when ClickHouse is away or fails a query the report throws
/// `ReportUnavailable`: never an answer from partial data.
public struct ClickHouseBackend: ReportBackend {
    public let client: ClickHouseClient
    public let schema: ClickHouseSchema

    public init(client: ClickHouseClient, cluster: String? = nil) {
        self.client = client
        schema = ClickHouseSchema(database: client.endpoint.database, cluster: cluster)
    }

    public func eventCounts(_ query: EventCountsQuery) async throws -> EventCountsReport {
        let rows = try await rows(EventCountsSQL(query: query, schema: schema).text, report: "event counts")
        var out: [EventCountsReport.Row] = []
        for row in rows {
            guard row.count == 4, let event = row[0].string, let events = row[1].number, let persons = row[2].number, let sessions = row[3].number else {
                throw ClickHouseError.malformed("event counts row \(row)")
            }
            out.append(.init(event: event, events: Int(events), persons: Int(persons), sessions: Int(sessions)))
        }
        out.sort { $0.events != $1.events ? $0.events > $1.events : $0.event < $1.event }
        return EventCountsReport(site: query.site, events: out)
    }

    public func funnel(_ query: FunnelQuery) async throws -> FunnelReport {
        let rows = try await rows(FunnelSQL(query: query, schema: schema).text, report: "funnel")
        var aggregates = FunnelAggregates()
        for row in rows {
            guard row.count == 6, let step = row[0].number, let level = row[1].number, let value = row[2].string, let day = row[3].number,
                  let seconds = row[4].number, let count = row[5].number
            else { throw ClickHouseError.malformed("funnel row \(row)") }
            if step == 0 {
                aggregates.units.append(.init(level: Int(level), breakdown: query.breakdown.map { Self.breakdownLabel($0, value) },
                                              day: Int64(day), count: Int(count)))
            } else {
                aggregates.gaps.append(.init(step: Int(step), seconds: Int64(seconds), count: Int(count)))
            }
        }
        return aggregates.report(query)
    }

    /// The query's rows; ClickHouse away or refusing is the report unavailable (503), not a 500.
    func rows(_ sql: String, report: String) async throws -> [[JSONValue]] {
        do {
            return try await client.rows(sql)
        } catch let error as ClickHouseError {
            throw ReportUnavailable(report: report, reason: "the \(report) report could not be computed: \(error)")
        }
    }

    /// The label the engine shows for a breakdown value stored as a code.
    static func breakdownLabel(_ dimension: Segment.Dimension, _ raw: String) -> String {
        func label<T: RawRepresentable & CustomStringConvertible>(_ type: T.Type) -> String where T.RawValue == UInt8 {
            UInt8(raw).flatMap(T.init(rawValue:))?.description ?? "unknown"
        }
        switch dimension {
        case .channel: return label(Channel.self)
        case .device: return label(DeviceType.self)
        case .browser: return label(Browser.self)
        case .os: return label(OperatingSystem.self)
        default: return raw
        }
    }

    public func bidding(site: String, plan: TrackingPlan, to: Int64?, includeBots: Bool) async throws -> BiddingReport {
        let last = to == nil ? try await lastEvent(site: site, plan: plan, includeBots: includeBots, report: "ads bidding") : nil
        return try await BiddingAdvisor.advise(site: site, plan: plan, end: to ?? last.map { $0 + 1 } ?? 0, includeBots: includeBots,
                                               rates: rates, predict: predict)
    }
}
