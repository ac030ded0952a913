import StepwiseCore
import StepwiseEngine
import StepwisePlan

/// Answers reports in ClickHouse (SPEC §5): each query compiled to SQL, only aggregates
/// coming back; the report is then assembled by the engine's own code, so rounding, rates,
/// intervals and ordering are the embedded engine's.
///
/// Reports without a SQL form yet throw `ClickHouseError.notPushedDown`: never an answer from
/// partial data.
public struct ClickHouseBackend: ReportBackend {
    public let client: ClickHouseClient
    public let schema: ClickHouseSchema

    public init(client: ClickHouseClient, cluster: String? = nil) {
        self.client = client
        schema = ClickHouseSchema(database: client.endpoint.database, cluster: cluster)
    }

    public func eventCounts(_ query: EventCountsQuery) async throws -> EventCountsReport {
        let rows = try await client.rows(EventCountsSQL(query: query, schema: schema).text)
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
        let rows = try await client.rows(FunnelSQL(query: query, schema: schema).text)
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

    public func rates(_ query: RatesQuery) async throws -> RatesReport { throw ClickHouseError.notPushedDown("rates") }
    public func predict(_ query: PredictQuery) async throws -> PredictiveValueReport { throw ClickHouseError.notPushedDown("predict") }
    public func score(_ query: ScoreQuery) async throws -> EngagementScoreReport { throw ClickHouseError.notPushedDown("score") }
    public func audiences(_ query: AudienceQuery, names: [String]?, limit: Int?) async throws -> [AudienceMembersReport] {
        throw ClickHouseError.notPushedDown("audience")
    }
    public func experiment(_ query: ExperimentQuery) async throws -> ExperimentReport { throw ClickHouseError.notPushedDown("experiment") }
    public func attribution(_ query: AttributionQuery) async throws -> AttributionReport { throw ClickHouseError.notPushedDown("attribution") }
    public func paths(_ query: PathsQuery) async throws -> PathsReport { throw ClickHouseError.notPushedDown("paths") }
    public func bidding(site: String, plan: TrackingPlan, to: Int64?, includeBots: Bool) async throws -> BiddingReport {
        throw ClickHouseError.notPushedDown("ads bidding")
    }
    public func adsExport(_ query: AdsExportQuery) async throws -> AdsExport { throw ClickHouseError.notPushedDown("ads export") }
    public func health(_ query: HealthQuery) async throws -> HealthReport { throw ClickHouseError.notPushedDown("health") }
    public func volumes(site: String, plan: TrackingPlan, interval: VolumeReport.Interval, from: Int64, to: Int64, segment: Segment?) async throws -> VolumeReport {
        throw ClickHouseError.notPushedDown("volumes")
    }
}
