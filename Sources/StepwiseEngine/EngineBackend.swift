import StepwisePlan

/// Answers reports from the in-process columnar table; person ids come from `directory`.
public struct EngineBackend: ReportBackend {
    public let table: @Sendable () -> EventTable
    public let directory: (any PersonDirectory)?
    /// Keeps the hourly volumes health reads; without it they are counted from the table.
    let live: LiveEventTable?

    public init(table: @escaping @Sendable () -> EventTable, directory: (any PersonDirectory)? = nil) {
        self.table = table
        self.directory = directory
        live = nil
    }

    public init(live: LiveEventTable, directory: (any PersonDirectory)? = nil) {
        self.table = { live.snapshot() }
        self.directory = directory
        self.live = live
    }

    public func health(_ query: HealthQuery) async throws -> HealthReport {
        let (volumes, table) = counted(site: query.site, plan: query.plan)
        return HealthCalculator.compute(query, volumes: volumes, table: table)
    }

    public func volumes(
        site: String, plan: TrackingPlan, interval: VolumeReport.Interval, from: Int64, to: Int64, segment: Segment?
    ) async throws -> VolumeReport {
        let (volumes, table) = counted(site: site, plan: plan)
        return try VolumeReader.report(site: site, plan: plan, volumes: volumes, table: table, interval: interval, from: from, to: to, segment: segment)
    }

    /// The volumes with the plan's definitions counted: kept by the live table, or counted
    /// from the table when there is none.
    private func counted(site: String, plan: TrackingPlan) -> (VolumeIndex, EventTable) {
        let definitions = HealthQuery.watchedDefinitions(of: plan)
        if let live {
            live.watch(site: site, definitions: definitions)
            return (live.volumes(), live.snapshot())
        }
        let table = table()
        var volumes = VolumeIndex()
        volumes.fold(table: table)
        if let id = table.siteID(site), volumes.watch(site: id, definitions: definitions) {
            volumes.fold(table: table, definitionsOf: id)
        }
        return (volumes, table)
    }

    public func eventCounts(_ query: EventCountsQuery) async throws -> EventCountsReport {
        EventCounter.count(query, in: table())
    }

    public func rates(_ query: RatesQuery) async throws -> RatesReport {
        RatesCalculator.compute(query, in: table())
    }

    public func funnel(_ query: FunnelQuery) async throws -> FunnelReport {
        FunnelCalculator.compute(query, in: table())
    }

    public func predict(_ query: PredictQuery) async throws -> PredictiveValueReport {
        try PredictiveValueCalculator.compute(query, in: table())
    }

    public func score(_ query: ScoreQuery) async throws -> EngagementScoreReport {
        try EngagementScoreCalculator.compute(query, in: table(), directory: directory)
    }

    public func experiment(_ query: ExperimentQuery) async throws -> ExperimentReport {
        try ExperimentCalculator.compute(query, in: table())
    }

    public func attribution(_ query: AttributionQuery) async throws -> AttributionReport {
        try AttributionCalculator.compute(query, in: table())
    }

    public func paths(_ query: PathsQuery) async throws -> PathsReport {
        try PathsCalculator.compute(query, in: table())
    }

    public func bidding(site: String, plan: TrackingPlan, to: Int64?, includeBots: Bool) async throws -> BiddingReport {
        let end = to ?? EngagementScoreCalculator.lastEvent(site: site, includeBots: includeBots, in: table()).map { $0 + 1 } ?? 0
        return try await BiddingAdvisor.advise(site: site, plan: plan, end: end, includeBots: includeBots, rates: rates, predict: predict)
    }

    /// Needs the directory for click ids; without one every conversion is skipped.
    public func adsExport(_ query: AdsExportQuery) async throws -> AdsExport {
        try AdsExporter.export(query, in: table(), directory: directory ?? NoDirectory())
    }

    public func audiences(_ query: AudienceQuery, names: [String]?, limit: Int?) async throws -> [AudienceMembersReport] {
        try AudienceCalculator.members(query, names: names, limit: limit, in: table(), directory: directory)
    }
}

/// The event-count scan: one pass over a site's persons.
public enum EventCounter {
    public static func count(_ query: EventCountsQuery, in table: EventTable) -> EventCountsReport {
        guard let site = table.siteID(query.site), let persons = table.sitePersons[site] else {
            return EventCountsReport(site: query.site, events: [])
        }
        let from = query.from ?? .min
        let to = query.to ?? .max
        let slots = table.nameDictionary.count
        var events = [Int](repeating: 0, count: slots)
        var personCount = [Int](repeating: 0, count: slots)
        var sessionCount = [Int](repeating: 0, count: slots)
        // Last person / session that counted for a name, so each is counted once.
        var lastPerson = [Int](repeating: -1, count: slots)
        var lastSession = [Int](repeating: -1, count: slots)
        var session = -1
        let timeout = query.sessionTimeoutMillis
        table.timestamp.withUnsafeBufferPointer { timestamp in
            table.name.withUnsafeBufferPointer { name in
                for p in persons {
                    if !query.includeBots && table.personBot[p] != 0 { continue }
                    var previous = Int64.min
                    for i in table.events(ofPerson: p) {
                        let t = timestamp[i]
                        if SessionSplitter.startsSession(t, after: previous, timeout: timeout) { session += 1 }
                        previous = t
                        guard t >= from, t < to else { continue }
                        let n = Int(name[i])
                        events[n] += 1
                        if lastPerson[n] != p { lastPerson[n] = p; personCount[n] += 1 }
                        if lastSession[n] != session { lastSession[n] = session; sessionCount[n] += 1 }
                    }
                }
            }
        }
        var rows: [EventCountsReport.Row] = []
        for n in 0..<slots where events[n] > 0 {
            rows.append(.init(event: table.nameText(UInt32(n)), events: events[n], persons: personCount[n], sessions: sessionCount[n]))
        }
        rows.sort { $0.events != $1.events ? $0.events > $1.events : $0.event < $1.event }
        return EventCountsReport(site: query.site, events: rows)
    }
}

/// A directory that knows nobody: persons keep their engine labels and have no click ids.
struct NoDirectory: PersonDirectory {
    func identities(of keys: [UInt32]) throws -> [UInt32: PersonIdentity] {
        Dictionary(uniqueKeysWithValues: keys.map { ($0, PersonIdentity(person: PersonLabel.fallback($0), user: nil, clickIds: [:])) })
    }
}
