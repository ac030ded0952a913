import StepwisePlan

/// "Per event name: how many events, persons and sessions" for one site and time range.
/// A query is a value; a `ReportBackend` executes it.
public struct EventCountsQuery: Sendable, Equatable {
    public var site: String
    /// Inclusive start, milliseconds since the epoch.
    public var from: Int64?
    /// Exclusive end, milliseconds since the epoch.
    public var to: Int64?
    public var includeBots: Bool
    /// The gap that starts a new session (the site plan's `session_timeout`).
    public var sessionTimeoutMillis: Int64

    public init(site: String, from: Int64? = nil, to: Int64? = nil, includeBots: Bool = false,
                sessionTimeoutMillis: Int64 = SessionSplitter.defaultTimeoutMillis) {
        self.site = site
        self.from = from
        self.to = to
        self.includeBots = includeBots
        self.sessionTimeoutMillis = sessionTimeoutMillis
    }
}

/// The answer to an `EventCountsQuery`, rows ordered by events descending, then name.
public struct EventCountsReport: Sendable, Equatable, Codable {
    public struct Row: Sendable, Equatable, Codable {
        public var event: String
        public var events: Int
        public var persons: Int
        public var sessions: Int

        public init(event: String, events: Int, persons: Int, sessions: Int) {
            self.event = event
            self.events = events
            self.persons = persons
            self.sessions = sessions
        }
    }

    public var site: String
    public var events: [Row]

    public init(site: String, events: [Row]) {
        self.site = site
        self.events = events
    }
}

/// Anything that answers report queries: the embedded engine, or ClickHouse (SPEC §5).
public protocol ReportBackend: Sendable {
    func eventCounts(_ query: EventCountsQuery) async throws -> EventCountsReport
    func rates(_ query: RatesQuery) async throws -> RatesReport
    func funnel(_ query: FunnelQuery) async throws -> FunnelReport
    func predict(_ query: PredictQuery) async throws -> PredictiveValueReport
    func score(_ query: ScoreQuery) async throws -> EngagementScoreReport
    /// The named audiences (all when nil) with their first `limit` members (all when nil),
    /// warmest first, ids filled in; `size` counts every member.
    func audiences(_ query: AudienceQuery, names: [String]?, limit: Int?) async throws -> [AudienceMembersReport]
    func experiment(_ query: ExperimentQuery) async throws -> ExperimentReport
    func attribution(_ query: AttributionQuery) async throws -> AttributionReport
    func paths(_ query: PathsQuery) async throws -> PathsReport
    func bidding(site: String, plan: TrackingPlan, to: Int64?, includeBots: Bool) async throws -> BiddingReport
    func adsExport(_ query: AdsExportQuery) async throws -> AdsExport
    /// Tracking health from hourly volumes kept current as events arrive.
    func health(_ query: HealthQuery) async throws -> HealthReport
    /// Hourly or daily counts per event and definition in [from, to).
    func volumes(site: String, plan: TrackingPlan, interval: VolumeReport.Interval, from: Int64, to: Int64, segment: Segment?) async throws -> VolumeReport
}
