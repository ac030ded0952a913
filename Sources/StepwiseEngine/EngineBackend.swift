/// Answers reports from the in-process columnar table.
public struct EngineBackend: ReportBackend {
    public let table: @Sendable () -> EventTable

    public init(table: @escaping @Sendable () -> EventTable) {
        self.table = table
    }

    public init(live: LiveEventTable) {
        self.table = { live.snapshot() }
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
