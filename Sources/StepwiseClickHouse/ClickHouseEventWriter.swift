import Foundation
import NIOCore
import StepwiseCore
import StepwiseStorage
import Synchronization

/// Accepted events on their way to ClickHouse: buffered, inserted in batches, acknowledged
/// when their batch is stored, or, while ClickHouse is down, when it is fsynced to the local
/// spool that `run()` replays.
///
/// Each event gets a `seq` (arrival order, for ties in time, as the embedded store's row
/// order) and a `key` (its id, or one made here) by which reads drop a row stored twice: a
/// retried insert, a replayed spool, a client's resend of the same id.
public final class ClickHouseEventWriter: EventSink {
    public struct Limits: Sendable {
        /// A batch is inserted when it holds this many rows, or this long after its first row
        /// while no insert is running; while one runs, the rows gather and go the moment it
        /// ends (group commit): under load, inserts run back to back and grow with the load.
        public var maxRows = 20_000
        public var maxDelay: Duration = .milliseconds(50)
        /// Inserts tried before the batch goes to the spool, waiting `backoff`, ×4 each time.
        public var attempts = 4
        public var backoff: Duration = .milliseconds(100)
        public var replayInterval: Duration = .seconds(5)

        public init() {}
    }

    public let client: ClickHouseClient
    public let limits: Limits
    private let database: String
    private let spool: ClickHouseSpool
    /// Makes keys of events without an id unique across nodes.
    private let node = String(UInt64.random(in: 0...UInt64.max), radix: 36)
    private let state = Mutex(State())
    private let statistics = Mutex(Statistics())

    private struct State {
        var batch = ClickHouseBatch(events: [], identities: [], rows: 0)
        var waiters: [CheckedContinuation<Void, any Error>] = []
        var timerArmed = false
        var inFlight = 0
        var lastSeq: UInt64 = 0
    }

    public struct Statistics: Sendable {
        public var batches = 0
        public var rows = 0
        public var retries = 0
        public var spooled = 0
        public var replayed = 0
    }

    public init(client: ClickHouseClient, spoolPath: String, limits: Limits = Limits()) {
        self.client = client
        self.limits = limits
        database = client.endpoint.database
        spool = ClickHouseSpool(path: spoolPath)
    }

    public var stats: Statistics { statistics.withLock { $0 } }
    public var spooledBytes: Int { spool.pendingBytes }

    public func append(_ events: [EnrichedEvent], received: Int64) async throws -> [AppendOutcome] {
        if events.isEmpty { return [] }
        let first = state.withLock { s in
            let first = max(s.lastSeq + 1, UInt64(max(received, 0)) << 20)
            s.lastSeq = first + UInt64(events.count) - 1
            return first
        }
        let (rows, links) = encode(events, firstSeq: first, received: received)
        try await enqueue(events: rows, identities: links, rows: events.count)
        return Array(repeating: .stored, count: events.count)
    }

    /// The `JSONEachRow` lines of events and of their identity links, seqs from `firstSeq`
    /// (public for the ingest benchmark, which times it apart).
    public func encode(_ events: [EnrichedEvent], firstSeq: UInt64, received: Int64) -> (events: [UInt8], identities: [UInt8]) {
        var rows: [UInt8] = [], links: [UInt8] = []
        rows.reserveCapacity(events.count * 700)
        for (k, enriched) in events.enumerated() {
            let seq = firstSeq + UInt64(k)
            ClickHouseRow.append(enriched, key: enriched.event.id.map(ClickHouseRow.Key.id) ?? .node(node), seq: seq, received: received, into: &rows)
            if let user = enriched.event.user {
                ClickHouseRow.appendIdentity(site: enriched.event.site, visitor: enriched.event.visitor, user: user, seq: seq, into: &links)
            }
        }
        return (rows, links)
    }

    public func identify(site: String, visitor: String, user: String) async throws {
        let seq = state.withLock { s in
            s.lastSeq = max(s.lastSeq + 1, UInt64(Date().timeIntervalSince1970 * 1000) << 20)
            return s.lastSeq
        }
        var links: [UInt8] = []
        ClickHouseRow.appendIdentity(site: site, visitor: visitor, user: user, seq: seq, into: &links)
        try await enqueue(events: [], identities: links, rows: 1)
    }

    private func enqueue(events: [UInt8], identities: [UInt8], rows: Int) async throws {
        try await withCheckedThrowingContinuation { (waiter: CheckedContinuation<Void, any Error>) in
            let (full, armTimer) = state.withLock { s -> ((ClickHouseBatch, [CheckedContinuation<Void, any Error>])?, Bool) in
                s.batch.events += events
                s.batch.identities += identities
                s.batch.rows += rows
                s.waiters.append(waiter)
                if s.batch.rows >= limits.maxRows { return (Self.take(&s), false) }
                if s.timerArmed || s.inFlight > 0 { return (nil, false) }
                s.timerArmed = true
                return (nil, true)
            }
            if let full { Task { await self.store(full.0, waiters: full.1) } }
            if armTimer {
                Task {
                    try? await Task.sleep(for: limits.maxDelay)
                    let due = state.withLock { s in
                        s.timerArmed = false
                        return s.waiters.isEmpty || s.inFlight > 0 ? nil : Self.take(&s)
                    }
                    if let due { await self.store(due.0, waiters: due.1) }
                }
            }
        }
    }

    private static func take(_ s: inout State) -> (ClickHouseBatch, [CheckedContinuation<Void, any Error>]) {
        s.inFlight += 1
        defer {
            s.batch = ClickHouseBatch(events: [], identities: [], rows: 0)
            s.waiters = []
        }
        return (s.batch, s.waiters)
    }

    /// Inserts with retries; spools when ClickHouse stays away; then answers every waiter.
    private func store(_ batch: ClickHouseBatch, waiters: [CheckedContinuation<Void, any Error>]) async {
        var current: (ClickHouseBatch, [CheckedContinuation<Void, any Error>])? = (batch, waiters)
        while let (batch, waiters) = current {
            await insertOrSpool(batch, waiters: waiters)
            // What gathered meanwhile goes at once.
            current = state.withLock { s in
                s.inFlight -= 1
                return s.waiters.isEmpty || s.inFlight > 0 ? nil : Self.take(&s)
            }
        }
    }

    private func insertOrSpool(_ batch: ClickHouseBatch, waiters: [CheckedContinuation<Void, any Error>]) async {
        var delay = limits.backoff
        for attempt in 0..<max(1, limits.attempts) {
            do {
                try await insert(batch)
                statistics.withLock { $0.batches += 1; $0.rows += batch.rows }
                for waiter in waiters { waiter.resume() }
                return
            } catch {
                if attempt + 1 < limits.attempts {
                    statistics.withLock { $0.retries += 1 }
                    try? await Task.sleep(for: delay)
                    delay *= 4
                }
            }
        }
        do {
            try spool.append(batch)
            statistics.withLock { $0.spooled += batch.rows }
            for waiter in waiters { waiter.resume() }
        } catch {
            for waiter in waiters { waiter.resume(throwing: error) }
        }
    }

    /// Identity links first: a link stored without its batch's events is harmless; events
    /// read without their link would count a person twice until the retry.
    private func insert(_ batch: ClickHouseBatch) async throws {
        if !batch.identities.isEmpty {
            try await client.execute("INSERT INTO \(database).identities FORMAT JSONEachRow", body: ByteBuffer(bytes: batch.identities))
        }
        if !batch.events.isEmpty {
            try await client.execute("INSERT INTO \(database).events FORMAT JSONEachRow", body: ByteBuffer(bytes: batch.events))
        }
    }

    /// Sends what the spool holds; returns the batches delivered. Stops at the first failure
    /// and leaves the file for the next try.
    @discardableResult
    public func replaySpool() async -> Int {
        guard let file = spool.takeForReplay() else { return 0 }
        guard let batches = try? ClickHouseSpool.batches(in: file) else { return 0 }
        for batch in batches {
            do { try await insert(batch) } catch { return 0 }
        }
        spool.finish(file)
        statistics.withLock { $0.replayed += batches.count }
        return batches.count
    }

    /// Inserts what is buffered now (shutdown, tests).
    public func flush() async throws {
        let due = state.withLock { s in s.waiters.isEmpty ? nil : Self.take(&s) }
        if let due { await store(due.0, waiters: due.1) }
    }

    /// Replays the spool at start and then every `replayInterval`, until cancelled.
    public func run() async {
        while !Task.isCancelled {
            await replaySpool()
            try? await Task.sleep(for: limits.replayInterval)
        }
    }
}
