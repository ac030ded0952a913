import Dispatch
import Foundation
import GRDB
import GRDBSQLite
import StepwiseCore
import StepwiseEngine
import Synchronization

/// The embedded store: one SQLite file in WAL mode, written by a single group-commit writer.
///
/// Concurrent `append` calls queue their events; the writer commits everything queued in
/// one transaction (one fsync with `synchronous=FULL`) and only then resumes the callers,
/// so an acknowledgement always means "durable", without one fsync per request.
public final class EventStore: Sendable {
    public let path: String
    let pool: DatabasePool
    /// The engine table fed after each commit, before callers are resumed.
    public let live: LiveEventTable
    /// False for batch tools (import) that never query: rows are not kept in memory.
    let feedsEngine: Bool
    private let queue = DispatchQueue(label: "stepwise.store.writer")
    private let pending = Mutex<PendingJobs>(PendingJobs())
    private let interns = Mutex<InternTables>(InternTables())
    private let statistics = Mutex<CommitStatistics>(CommitStatistics())
    /// Rejections noted since the last commit; written with the next one (no fsync of their own).
    let pendingRejections = Mutex<[IngestTallyKey: Int]>([:])

    struct IngestTallyKey: Hashable {
        var site: String
        var day: String
        var code: String
    }

    struct PendingJobs {
        var jobs: [Job] = []
        var draining = false
    }

    struct Job {
        enum Work {
            case events([EnrichedEvent], received: Int64)
            case identify(site: String, visitor: String, user: String)
        }
        var work: Work
        var continuation: CheckedContinuation<[AppendOutcome], any Error>
    }

    /// Commit counts and latencies, for `/metrics`.
    public struct CommitStatistics: Sendable {
        public var commits = 0
        public var committedEvents = 0
        public var duplicates = 0
        public var failures = 0
        /// Histogram of commit latency in seconds, cumulative per upper bound.
        public static let latencyBounds: [Double] = [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1]
        public var latencyBuckets = [Int](repeating: 0, count: latencyBounds.count)
        public var latencySum = 0.0
    }

    /// Opens (creating if needed) the database at `path` and loads every stored event into the engine.
    public init(path: String, live: LiveEventTable = LiveEventTable(), loadEngine: Bool = true) throws {
        self.path = path
        self.live = live
        self.feedsEngine = loadEngine
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            // Durable commits: an acknowledged event survives a crash or power loss.
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // A 64 MiB page cache keeps the string and visitor indexes hot while ingesting.
            try db.execute(sql: "PRAGMA cache_size = -65536")
            // Checkpoint the WAL every ~40 MB instead of every 4 MB: fewer, larger copies.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 10000")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try StoreSchema.migrator.migrate(pool)
        } catch {
            throw StoreError("cannot open database \(path): \(error)")
        }
        if loadEngine { try reloadEngine() }
    }

    public var commitStatistics: CommitStatistics { statistics.withLock { $0 } }

    // MARK: Writing

    /// Stores events durably; outcomes are in input order. Throws when the commit failed,
    /// in which case nothing of this call was stored.
    public func append(_ events: [EnrichedEvent], received: Int64 = Int64(Date().timeIntervalSince1970 * 1000)) async throws -> [AppendOutcome] {
        if events.isEmpty { return [] }
        return try await submit(.events(events, received: received))
    }

    /// Links a visitor to a user (`POST /api/v1/identify`); retroactive for the visitor's past events.
    public func identify(site: String, visitor: String, user: String) async throws {
        _ = try await submit(.identify(site: site, visitor: visitor, user: user))
    }

    private func submit(_ work: Job.Work) async throws -> [AppendOutcome] {
        try await withCheckedThrowingContinuation { continuation in
            let startDrain = pending.withLock { state -> Bool in
                state.jobs.append(Job(work: work, continuation: continuation))
                if state.draining { return false }
                state.draining = true
                return true
            }
            if startDrain { queue.async { self.drain() } }
        }
    }

    /// Runs `body` on the writer queue, between commits, with the intern caches forgotten
    /// afterwards: for changes that delete rows the caches may hold (erasure, retention).
    func exclusively<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                let result = Result { try body() }
                self.interns.withLock { $0.rollback() }
                continuation.resume(with: result)
            }
        }
    }

    /// Runs on the writer queue: commits whatever queued up while the previous commit ran.
    private func drain() {
        while true {
            let jobs = pending.withLock { state -> [Job] in
                let jobs = state.jobs
                state.jobs.removeAll()
                if jobs.isEmpty { state.draining = false }
                return jobs
            }
            if jobs.isEmpty { return }
            commit(jobs)
        }
    }

    private func commit(_ jobs: [Job]) {
        let started = DispatchTime.now().uptimeNanoseconds
        var outcomes: [[AppendOutcome]] = []
        var rows = EventRows()
        var newStrings: [(UInt32, String)] = []
        var change = IdentityChange()
        var rejectionsWritten: [IngestTallyKey: Int] = [:]
        do {
            try interns.withLock { interns in
                interns.beginTransaction()
                do {
                    try pool.writeWithoutTransaction { db in
                        try db.inTransaction(.immediate) {
                            var tallies: [IngestTallyKey: Int] = [:]
                            outcomes = try jobs.map { job in
                                switch job.work {
                                case .events(let events, let received):
                                    let outcome = try insert(events, received: received, interns: &interns, rows: &rows, db)
                                    // Counted per run of one site (a batch is nearly always one), not hashed per event.
                                    let day = Timestamp.formatDay(received)
                                    var start = 0
                                    while start < events.count {
                                        let site = events[start].event.site
                                        var end = start, stored = 0
                                        while end < events.count, events[end].event.site == site {
                                            if outcome[end] == .stored { stored += 1 }
                                            end += 1
                                        }
                                        if stored > 0 { tallies[IngestTallyKey(site: site, day: day, code: "accepted"), default: 0] += stored }
                                        if end - start > stored { tallies[IngestTallyKey(site: site, day: day, code: "duplicate"), default: 0] += end - start - stored }
                                        start = end
                                    }
                                    return outcome
                                case .identify(let site, let visitor, let user):
                                    let siteID = try interns.string(site, db)
                                    let userID = try interns.user(site: siteID, key: user, db)
                                    _ = try interns.visitor(site: siteID, key: visitor, user: userID, db)
                                    return []
                                }
                            }
                            rejectionsWritten = pendingRejections.withLock { pending in
                                defer { pending.removeAll() }
                                return pending
                            }
                            for (key, count) in rejectionsWritten { tallies[key, default: 0] += count }
                            try Self.addTallies(tallies, db)
                            return .commit
                        }
                    }
                } catch {
                    interns.rollback()
                    throw error
                }
                newStrings = interns.newStrings
                let record = interns.identityChange
                change.newVisitors = record.newVisitors.map { .init(id: $0.id, site: $0.site) }
                change.newUsers = record.newUsers.map { .init(id: $0.id, site: $0.site) }
                change.links = record.links.map { .init(visitor: $0.visitor, user: $0.user) }
            }
        } catch {
            // The noted rejections go back for the next commit.
            pendingRejections.withLock { pending in for (key, count) in rejectionsWritten { pending[key, default: 0] += count } }
            statistics.withLock { $0.failures += 1 }
            let failure = StoreError("could not store events: \(error)")
            for job in jobs { job.continuation.resume(throwing: failure) }
            return
        }
        if feedsEngine {
            live.addStrings(newStrings)
            live.apply(change, rows: rows)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        statistics.withLock { stats in
            stats.commits += 1
            stats.committedEvents += rows.count
            stats.duplicates += outcomes.reduce(0) { $0 + $1.count { $0 == .duplicate } }
            stats.latencySum += seconds
            for (i, bound) in CommitStatistics.latencyBounds.enumerated() where seconds <= bound { stats.latencyBuckets[i] += 1 }
        }
        for (job, outcome) in zip(jobs, outcomes) { job.continuation.resume(returning: outcome) }
    }

    private static let insertSQL = """
        INSERT OR IGNORE INTO events (site, event_id, name, visitor, user_id, ts, received, url, referrer, path, props,
            revenue, currency, user_agent, timezone, region, source, medium, campaign, dims, click_ids)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    private func insert(
        _ events: [EnrichedEvent], received: Int64, interns: inout InternTables, rows: inout EventRows, _ db: Database
    ) throws -> [AppendOutcome] {
        let prepared = try db.cachedStatement(sql: Self.insertSQL)
        defer { withExtendedLifetime(prepared) {} }
        let statement = prepared.sqliteStatement
        var outcomes: [AppendOutcome] = []
        outcomes.reserveCapacity(events.count)
        for enriched in events {
            let event = enriched.event
            let site = try interns.string(event.site, column: .site, db)
            let name = try interns.string(event.name, column: .name, db)
            let user = try event.user.map { try interns.user(site: site, key: $0, db) } ?? 0
            let visitor = try interns.visitor(site: site, key: event.visitor, user: user, db)
            let path = try interns.string(enriched.path, column: .path, db)
            let region = try interns.string(enriched.region, column: .region, db)
            let source = try interns.string(enriched.traffic.source, column: .source, db)
            let medium = try interns.string(enriched.traffic.medium, column: .medium, db)
            let campaign = try interns.string(enriched.traffic.campaign, column: .campaign, db)
            let userAgent = try event.userAgent.map { try interns.string($0, column: .userAgent, db) }
            let url = try event.url.map { try interns.string($0, column: .url, db) } ?? 0
            let referrer = try event.referrer.map { try interns.string($0, column: .referrer, db) } ?? 0
            let props = try enriched.propsJSON.map { try interns.string($0, column: .props, db) } ?? 0

            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
            sqlite3_bind_int64(statement, 1, Int64(site))
            RawStatement.bindText(statement, 2, event.id)
            sqlite3_bind_int64(statement, 3, Int64(name))
            sqlite3_bind_int64(statement, 4, Int64(visitor))
            if user != 0 { sqlite3_bind_int64(statement, 5, Int64(user)) }
            sqlite3_bind_int64(statement, 6, event.timestamp)
            sqlite3_bind_int64(statement, 7, received)
            if url != 0 { sqlite3_bind_int64(statement, 8, Int64(url)) }
            if referrer != 0 { sqlite3_bind_int64(statement, 9, Int64(referrer)) }
            sqlite3_bind_int64(statement, 10, Int64(path))
            if props != 0 { sqlite3_bind_int64(statement, 11, Int64(props)) }
            if let revenue = event.revenue {
                sqlite3_bind_double(statement, 12, revenue.amount)
                RawStatement.bindText(statement, 13, revenue.currency)
            }
            if let userAgent { sqlite3_bind_int64(statement, 14, Int64(userAgent)) }
            RawStatement.bindText(statement, 15, event.timezone)
            sqlite3_bind_int64(statement, 16, Int64(region))
            sqlite3_bind_int64(statement, 17, Int64(source))
            sqlite3_bind_int64(statement, 18, Int64(medium))
            sqlite3_bind_int64(statement, 19, Int64(campaign))
            sqlite3_bind_int64(statement, 20, PackedDimensions.pack(
                channel: enriched.traffic.channel.rawValue, device: enriched.device.rawValue, browser: enriched.browser.rawValue,
                os: enriched.os.rawValue, bot: enriched.botSignal.rawValue))
            RawStatement.bindText(statement, 21, enriched.clickIDsJSON)
            let code = sqlite3_step(statement)
            guard code == SQLITE_DONE else {
                throw StoreError("insert failed: \(String(cString: sqlite3_errmsg(db.sqliteConnection)))")
            }
            if sqlite3_changes(db.sqliteConnection) == 0 {
                outcomes.append(.duplicate)
                continue
            }
            outcomes.append(.stored)
            guard feedsEngine else { continue }
            rows.append(
                timestamp: event.timestamp, visitor: visitor, name: name, path: path, region: region,
                url: url, referrer: referrer, props: props, revenue: event.revenue?.amount ?? 0,
                channel: enriched.traffic.channel.rawValue, device: enriched.device.rawValue,
                browser: enriched.browser.rawValue, os: enriched.os.rawValue, botSignal: enriched.botSignal.rawValue)
        }
        sqlite3_reset(statement)
        return outcomes
    }


    // MARK: Reading

    /// Rebuilds the engine table from every stored event (start-up).
    public func reloadEngine() throws {
        let (strings, identities) = try pool.read { db in try Self.readDictionaries(db) }
        let rows = try readEventRows()
        live.reset(strings: strings, identities: identities, rows: rows)
        // The load's page cache and transient columns are not needed any more: give them back.
        pool.releaseMemory()
        #if os(Linux)
        _ = releaseFreedHeap(0)
        #endif
    }

    static func readDictionaries(_ db: Database) throws -> ([String], IdentityGraph) {
        let maxString = try Int.fetchOne(db, sql: "SELECT COALESCE(MAX(id), 0) FROM strings") ?? 0
        var strings = [String](repeating: "", count: maxString + 1)
        let stringRows = try Row.fetchCursor(db, sql: "SELECT id, value FROM strings")
        while let row = try stringRows.next() { strings[Int(row[0] as Int64)] = row[1] }

        var identities = IdentityGraph()
        let users = try Row.fetchCursor(db, sql: "SELECT id, site FROM users ORDER BY id")
        while let row = try users.next() { identities.addUser(row[0], site: row[1]) }
        let visitors = try Row.fetchCursor(db, sql: "SELECT id, site, COALESCE(user_id, 0) FROM visitors ORDER BY id")
        while let row = try visitors.next() { identities.addVisitor(row[0], site: row[1], user: row[2]) }
        return (strings, identities)
    }

    /// Every event's engine columns in arrival order, read as two halves on two reader
    /// connections at once: decoding rows is the start-up's cost, and it splits cleanly.
    func readEventRows() throws -> EventRows {
        let (low, high) = try pool.read { db in
            (try Int64.fetchOne(db, sql: "SELECT COALESCE(MIN(seq), 0) FROM events") ?? 0,
             try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) FROM events") ?? 0)
        }
        let middle = low + (high - low) / 2
        let ranges = [low...middle, (middle + 1)...max(high, middle + 1)]
        let parts = Mutex<[Int: Result<EventRows, any Error>]>([:])
        DispatchQueue.concurrentPerform(iterations: ranges.count) { part in
            let result = Result { try self.pool.read { db in try Self.readEventRows(db, seq: ranges[part]) } }
            parts.withLock { $0[part] = result }
        }
        var rows = try parts.withLock { $0[0]! }.get()
        rows.append(contentsOf: try parts.withLock { $0[1]! }.get())
        return rows
    }

    static func readEventRows(_ db: Database, seq: ClosedRange<Int64>) throws -> EventRows {
        // The seq range bounds the row count: fill preallocated columns through raw
        // buffers, then copy out the rows actually read.
        let capacity = Int(seq.upperBound - seq.lowerBound + 1)
        let timestamp = ColumnBuffer<Int64>(capacity), dims = ColumnBuffer<Int64>(capacity)
        let visitor = ColumnBuffer<UInt32>(capacity), name = ColumnBuffer<UInt32>(capacity), path = ColumnBuffer<UInt32>(capacity)
        let region = ColumnBuffer<UInt32>(capacity), url = ColumnBuffer<UInt32>(capacity)
        let referrer = ColumnBuffer<UInt32>(capacity), props = ColumnBuffer<UInt32>(capacity)
        let revenue = ColumnBuffer<Double>(capacity)
        // Keep the GRDB statement alive: it finalizes the SQLite statement when released.
        let prepared = try db.makeStatement(sql: """
            SELECT ts, visitor, name, path, region, dims, url, referrer, props, revenue FROM events WHERE seq BETWEEN ? AND ?
            """)
        defer { withExtendedLifetime(prepared) {} }
        let statement = prepared.sqliteStatement
        sqlite3_bind_int64(statement, 1, seq.lowerBound)
        sqlite3_bind_int64(statement, 2, seq.upperBound)
        @inline(__always) func id(_ column: Int32) -> UInt32 { UInt32(truncatingIfNeeded: sqlite3_column_int64(statement, column)) }
        var count = 0
        var failure: Int32 = SQLITE_DONE
        while count < capacity {
            let code = sqlite3_step(statement)
            guard code == SQLITE_ROW else { failure = code; break }
            timestamp[count] = sqlite3_column_int64(statement, 0)
            visitor[count] = id(1)
            name[count] = id(2)
            path[count] = id(3)
            region[count] = id(4)
            dims[count] = sqlite3_column_int64(statement, 5)
            url[count] = id(6)
            referrer[count] = id(7)
            props[count] = id(8)
            revenue[count] = sqlite3_column_double(statement, 9)
            count += 1
        }
        guard failure == SQLITE_DONE || failure == SQLITE_ROW else {
            throw StoreError("reading events failed: \(String(cString: sqlite3_errmsg(db.sqliteConnection)))")
        }
        var rows = EventRows()
        rows.timestamp = timestamp.array(count)
        rows.visitor = visitor.array(count)
        rows.name = name.array(count)
        rows.path = path.array(count)
        rows.region = region.array(count)
        rows.url = url.array(count)
        rows.referrer = referrer.array(count)
        rows.props = props.array(count)
        rows.revenue = revenue.array(count)
        let packed = dims.buffer.prefix(count)
        rows.channel = packed.map { UInt8(truncatingIfNeeded: $0) }
        rows.device = packed.map { UInt8(truncatingIfNeeded: $0 >> 8) }
        rows.browser = packed.map { UInt8(truncatingIfNeeded: $0 >> 16) }
        rows.os = packed.map { UInt8(truncatingIfNeeded: $0 >> 24) }
        rows.botSignal = packed.map { UInt8(truncatingIfNeeded: $0 >> 32) }
        return rows
    }

    /// Number of stored events (all sites).
    public func eventCount() throws -> Int {
        try pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events") ?? 0 }
    }

    /// A metadata value (the demo's ground truth, settings).
    public func metadata(_ key: String) throws -> String? {
        try pool.read { db in try String.fetchOne(db, sql: "SELECT value FROM metadata WHERE key = ?", arguments: [key]) }
    }

    public func setMetadata(_ key: String, _ value: String) throws {
        try pool.write { db in
            try db.execute(sql: "INSERT INTO metadata (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                           arguments: [key, value])
        }
    }

    /// The tracking plan (YAML text) last stored for a site by the API or the demo.
    public func planText(site: String) throws -> String? {
        try metadata(Self.planKey(site))
    }

    public func setPlanText(_ yaml: String, site: String) throws {
        try setMetadata(Self.planKey(site), yaml)
    }

    /// Every site with a stored plan, and its YAML text.
    public func planTexts() throws -> [(site: String, yaml: String)] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT key, value FROM metadata WHERE key LIKE 'plan:%' ORDER BY key")
                .map { (String(($0[0] as String).dropFirst(5)), $0[1]) }
        }
    }

    private static func planKey(_ site: String) -> String { "plan:\(site)" }

    /// Stored events of a site in canonical form, oldest first (export, tests).
    public func canonicalEvents(site: String) throws -> [CanonicalEvent] {
        try pool.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT e.event_id, s.value, n.value, v.key, u.key, e.ts, url.value, ref.value, props.value, e.revenue,
                       e.currency, ua.value, e.timezone, (e.dims >> 32) & 255
                FROM events e JOIN strings s ON s.id = e.site JOIN strings n ON n.id = e.name
                JOIN visitors v ON v.id = e.visitor LEFT JOIN users u ON u.id = e.user_id
                LEFT JOIN strings ua ON ua.id = e.user_agent LEFT JOIN strings url ON url.id = e.url
                LEFT JOIN strings ref ON ref.id = e.referrer LEFT JOIN strings props ON props.id = e.props
                WHERE s.value = ? ORDER BY e.ts, e.seq
                """, arguments: [site])
            return rows.map { row in
                var props = JSONObject()
                if let text: String = row[8], case .object(let object)? = try? JSONParser.parse(text) { props = object }
                let revenue: Revenue? = (row[9] as Double?).map { Revenue(amount: $0, currency: row[10] ?? "") }
                return CanonicalEvent(
                    id: row[0], site: row[1], name: row[2], visitor: row[3], user: row[4], timestamp: row[5], url: row[6],
                    referrer: row[7], props: props, revenue: revenue, userAgent: row[11], timezone: row[12],
                    webdriver: (row[13] as Int) == Int(BotReason.webdriver.rawValue))
            }
        }
    }
}

/// A fixed-size scratch column for the start-up read, freed when released.
private final class ColumnBuffer<Element> {
    let buffer: UnsafeMutableBufferPointer<Element>

    init(_ capacity: Int) { buffer = .allocate(capacity: capacity) }
    deinit { buffer.deallocate() }

    subscript(i: Int) -> Element {
        get { buffer[i] }
        set { buffer[i] = newValue }
    }

    func array(_ count: Int) -> [Element] { Array(buffer.prefix(count)) }
}

#if os(Linux)
/// glibc's `malloc_trim`, which its Swift module map does not export: returns freed heap
/// pages to the system after the start-up load, so resident memory reflects what is kept.
@_silgen_name("malloc_trim")
private func releaseFreedHeap(_ pad: Int) -> Int32
#endif
