import Foundation
import StepwiseCore
import StepwiseDemo
import StepwiseEngine
import StepwiseClickHouse
import StepwisePlan
import StepwiseStorage

/// Benchmark helpers run by Benchmarks/run.sh (numbers, not pass/fail).
///
///   StepwiseBench ndjson N FILE       write about N realistic demo events as NDJSON
///   StepwiseBench bodies DIR          write wrk request bodies: one event, batches of 100 and 1,000
///   StepwiseBench load DB             time the engine load and measure resident bytes per event
///   StepwiseBench count DB SITE       time the events report on the loaded engine
///   StepwiseBench funnel DB SITE STEPS WINDOW [BREAKDOWN]
///                                     time an ordered funnel (comma-separated steps, all persons)
///                                     and print its counts as JSON for comparison
///   StepwiseBench rates DB PLAN       time the rates report (all bots included, like the peer)
///                                     and print its counts as JSON for comparison
///   StepwiseBench clickhouse-load URL DATABASE FILE
///                                     NDJSON events into ClickHouse through Stepwise's writer
///                                     (validate, enrich, batch, insert, acknowledge): events/s
///   StepwiseBench ingest-cpu BODY ROUNDS
///                                     one core's time per event of HTTP ingest into ClickHouse, by
///                                     stage (parse+validate, enrich, row encoding), without the network
///   StepwiseBench clickhouse-rates URL DATABASE PLAN
///                                     the rates report in ClickHouse, output as `rates` (RUNS, default 3)
///   StepwiseBench clickhouse-predict URL DATABASE PLAN MACRO MICROS
///                                     the predictive report in ClickHouse, output as `predict` (median of 3)
///   StepwiseBench person-reports DB URL DATABASE PLAN
///                                     the experiment and paths reports on both backends, timed and compared
///   StepwiseBench clickhouse-reports URL DATABASE SITE STEPS WINDOW
///                                     time the events report and an ordered funnel in ClickHouse
///                                     (bots included, as `funnel`) and print the funnel's counts

func residentBytes() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
          let kb = Int(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
    return kb * 1024
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("StepwiseBench: \(message)\n".utf8))
    exit(2)
}

let arguments = CommandLine.arguments.dropFirst()
switch arguments.first {
case "ndjson":
    guard arguments.count == 3, let target = Int(arguments[arguments.startIndex + 1]) else { fail("usage: ndjson N FILE") }
    let path = arguments[arguments.startIndex + 2]
    _ = FileManager.default.createFile(atPath: path, contents: nil)
    guard let handle = FileHandle(forWritingAtPath: path) else { fail("cannot write \(path)") }
    let end = Int64(Date().timeIntervalSince1970 / 3600) * 3_600_000
    var written = 0
    var buffer = ""
    var seed: UInt64 = 1
    // Demo sites of 100k visitors each (~9 events a visitor) until N events are written.
    while written < target {
        let profile = seed % 2 == 1 ? DemoSiteProfile.shop : .saas
        _ = DemoGenerator(profile: profile, seed: seed, visitors: 100_000, end: end).generate { event in
            guard written < target else { return }
            JSONWriter.write(event.json, into: &buffer)
            buffer += "\n"
            written += 1
            if buffer.utf8.count > 1 << 22 {
                handle.write(Data(buffer.utf8))
                buffer.removeAll(keepingCapacity: true)
            }
        }
        seed += 1
    }
    handle.write(Data(buffer.utf8))
    try handle.close()
    print("wrote \(written) events to \(path)")

case "bodies":
    guard arguments.count == 2 else { fail("usage: bodies DIR") }
    let dir = arguments[arguments.startIndex + 1]
    var events: [CanonicalEvent] = []
    let end = Int64(Date().timeIntervalSince1970 / 3600) * 3_600_000 - 86_400_000
    _ = DemoGenerator(profile: .shop, seed: 9, visitors: 400, end: end).generate { events.append($0) }
    // No ids: every request stores new events, so the benchmark measures stores, not dedup hits.
    let batch = events.prefix(1_000).map { event -> String in
        var event = event
        event.id = nil
        return JSONWriter.write(event.json)
    }
    guard batch.count == 1_000 else { fail("demo produced too few events") }
    try! batch[0].write(toFile: dir + "/single.json", atomically: true, encoding: .utf8)
    try! ("{\"batch\":[" + batch.prefix(100).joined(separator: ",") + "]}").write(toFile: dir + "/batch100.json", atomically: true, encoding: .utf8)
    try! ("{\"batch\":[" + batch.joined(separator: ",") + "]}").write(toFile: dir + "/batch1000.json", atomically: true, encoding: .utf8)
    print("bodies in \(dir)")

case "load":
    guard arguments.count == 2 else { fail("usage: load DB") }
    let before = residentBytes()
    let started = Date()
    let store = try! EventStore(path: arguments[arguments.startIndex + 1])
    let seconds = Date().timeIntervalSince(started)
    let table = store.live.snapshot()
    // Give freed load buffers back before measuring what stays resident.
    let after = residentBytes()
    let perEvent = Double(after - before) / Double(max(table.count, 1))
    print(String(format: "load events=%d seconds=%.3f resident_bytes_per_event=%.1f column_bytes_per_event=%.1f rss_mb=%.0f",
                 table.count, seconds, perEvent, Double(table.columnBytes) / Double(max(table.count, 1)), Double(after) / 1e6))

case "health":
    // What tracking health adds: folding every event into the hourly volume index (done at
    // load and as batches land), counting a plan's definitions, and judging the series.
    guard arguments.count == 4 else { fail("usage: health DB SITE PLAN") }
    let store = try! EventStore(path: arguments[arguments.startIndex + 1])
    let table = store.live.snapshot()
    let site = arguments[arguments.startIndex + 2]
    let plan = try! TrackingPlanLoader.load(path: arguments[arguments.startIndex + 3])
    var folds: [Double] = [], definitions: [Double] = [], judged: [Double] = []
    var keys = 0
    for _ in 0..<3 {
        var started = Date()
        var volumes = VolumeIndex()
        volumes.fold(table: table)
        folds.append(Date().timeIntervalSince(started))
        started = Date()
        let id = table.siteID(site)!
        _ = volumes.watch(site: id, definitions: HealthQuery.watchedDefinitions(of: plan))
        volumes.fold(table: table, definitionsOf: id)
        definitions.append(Date().timeIntervalSince(started))
        started = Date()
        let last = table.timestamp.max() ?? 0
        let report = HealthCalculator.compute(HealthQuery(site: site, plan: plan, now: last + 1), volumes: volumes, table: table)
        judged.append(Date().timeIntervalSince(started))
        precondition(report.seriesJudged >= 0)
        keys = volumes.counts.count
    }
    func median(_ x: [Double]) -> Double { x.sorted()[x.count / 2] * 1000 }
    print(String(format: "health events=%d fold_events_ms=%.0f fold_definitions_ms=%.0f judge_ms=%.1f volume_keys=%d",
                 table.count, median(folds), median(definitions), median(judged), keys))

case "count":
    guard arguments.count == 3 else { fail("usage: count DB SITE") }
    let store = try! EventStore(path: arguments[arguments.startIndex + 1])
    let table = store.live.snapshot()
    let query = EventCountsQuery(site: arguments[arguments.startIndex + 2])
    var times: [Double] = []
    for _ in 0..<7 {
        let started = Date()
        let report = EventCounter.count(query, in: table)
        times.append(Date().timeIntervalSince(started))
        precondition(!report.events.isEmpty)
    }
    times.sort()
    print(String(format: "count events=%d median_ms=%.1f", table.count, times[3] * 1000))

case "rates":
    guard arguments.count == 3 else { fail("usage: rates DB PLAN") }
    let store = try! EventStore(path: arguments[arguments.startIndex + 1])
    let table = store.live.snapshot()
    let plan: TrackingPlan
    do { plan = try TrackingPlanLoader.load(path: arguments[arguments.startIndex + 2]) } catch { fail(error.description) }
    let query = RatesQuery(site: plan.site, plan: plan, includeBots: true)
    var times: [Double] = []
    var report: RatesReport?
    // RUNS=N (default 7): the JSON gives the median and every run in order (this VM is noisy).
    let runs = max(1, Int(ProcessInfo.processInfo.environment["RUNS"] ?? "") ?? 7)
    for _ in 0..<runs {
        let started = Date()
        report = RatesCalculator.compute(query, in: table)
        times.append(Date().timeIntervalSince(started))
    }
    printRates(report!, times: times)

case "predict":
    // predict DB PLAN MACRO MICROS: the predictive report, whole and univariate only (median of 7 each).
    guard arguments.count == 5 else { fail("usage: predict DB PLAN MACRO MICROS") }
    let store = try! EventStore(path: arguments[arguments.startIndex + 1])
    let table = store.live.snapshot()
    let plan: TrackingPlan
    do { plan = try TrackingPlanLoader.load(path: arguments[arguments.startIndex + 2]) } catch { fail(error.description) }
    var query = PredictQuery(site: plan.site, plan: plan, macro: arguments[arguments.startIndex + 3],
                             micros: arguments[arguments.startIndex + 4].split(separator: ",").map(String.init), from: 0, includeBots: true)
    func median(_ body: () -> Void) -> Double {
        var times: [Double] = []
        for _ in 0..<7 {
            let started = Date()
            body()
            times.append(Date().timeIntervalSince(started))
        }
        return (times.sorted()[3] * 10_000).rounded() / 10
    }
    var report: PredictiveValueReport?
    let whole = median { report = try! PredictiveValueCalculator.compute(query, in: table) }
    query.fitsModel = false
    let univariate = median { _ = try! PredictiveValueCalculator.compute(query, in: table) }
    // Per micro: [did first and converted, did first and not, did not and converted, did not and not].
    var tables: [String: [Int]] = [:]
    for micro in report!.micros {
        tables[micro.name] = [micro.rateWith.numerator, micro.rateWith.denominator - micro.rateWith.numerator,
                              micro.rateWithout.numerator, micro.rateWithout.denominator - micro.rateWithout.numerator]
    }
    struct Output: Encodable { var median_ms: Double; var univariate_ms: Double; var persons: Int; var cv_auc: Double?; var tables: [String: [Int]] }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    print(String(decoding: try! encoder.encode(Output(median_ms: whole, univariate_ms: univariate, persons: report!.persons,
                                                      cv_auc: report!.model?.cvAuc, tables: tables)), as: UTF8.self))

case "funnel":
    guard arguments.count >= 5 else { fail("usage: funnel DB SITE STEPS WINDOW [BREAKDOWN]") }
    let store = try! EventStore(path: arguments[arguments.startIndex + 1])
    let table = store.live.snapshot()
    let steps = arguments[arguments.startIndex + 3].split(separator: ",").map(String.init)
    guard let window = PlanDuration.millis(arguments[arguments.startIndex + 4]) else { fail("bad window") }
    var query = try! FunnelQuery(site: arguments[arguments.startIndex + 2], stepNames: steps, plan: nil, windowMillis: window)
    query.includeBots = true
    if arguments.count > 5 { query.breakdown = Segment.Dimension(name: arguments[arguments.startIndex + 5]) }
    var times: [Double] = []
    var report: FunnelReport?
    for _ in 0..<7 {
        let started = Date()
        report = FunnelCalculator.compute(query, in: table)
        times.append(Date().timeIntervalSince(started))
    }
    times.sort()
    print(#"{"median_ms": \#((times[3] * 10_000).rounded() / 10), "counts": \#(report!.steps.map(\.count)), "breakdown_values": \#(report!.breakdown?.count ?? 0)}"#)

case "clickhouse-load":
    guard arguments.count == 4 else { fail("usage: clickhouse-load URL DATABASE FILE") }
    let endpoint = try! ClickHouseEndpoint(url: arguments[arguments.startIndex + 1], database: arguments[arguments.startIndex + 2])
    let client = ClickHouseClient(endpoint)
    _ = try! await ClickHouseSchema(database: endpoint.database).migrate(client)
    let lines = try! String(contentsOfFile: arguments[arguments.startIndex + 3], encoding: .utf8).split(separator: "\n")
    let limits = ClickHouseEventWriter.Limits()
    let writer = ClickHouseEventWriter(client: client, spoolPath: NSTemporaryDirectory() + "bench-\(UUID().uuidString).spool", limits: limits)
    let now = Int64(Date().timeIntervalSince1970 * 1000)
    // Parsing, validation and enrichment are the HTTP ingest's work, measured apart: the
    // figure here is what the writer adds (row encoding, batching, inserts, acknowledgements).
    var parsed = Date()
    let validator = EventValidator(), enricher = EventEnricher()
    var batches: [[EnrichedEvent]] = []
    var batch: [EnrichedEvent] = []
    var written = 0
    var writerSeconds = 0.0, prepareSeconds = 0.0
    func send(_ batches: [[EnrichedEvent]]) async throws {
        let started = Date()
        let senders = 64
        try await withThrowingTaskGroup(of: Void.self) { group in
            for sender in 0..<senders {
                group.addTask {
                    for k in stride(from: sender, to: batches.count, by: senders) { _ = try await writer.append(batches[k], received: now) }
                }
            }
            try await group.waitForAll()
        }
        writerSeconds += Date().timeIntervalSince(started)
    }
    for line in lines {
        if case .success(let event) = validator.validate(try! JSONParser.parse(String(line)), now: now) { batch.append(enricher.enrich(event)) }
        if batch.count == 1_000 { batches.append(batch); batch.removeAll(keepingCapacity: true) }
        // 64 senders of 1,000-event batches, as many clients posting at once, 200k events at a time.
        if batches.count == 200 || line.endIndex == lines.last!.endIndex {
            if !batch.isEmpty { batches.append(batch); batch = [] }
            prepareSeconds += Date().timeIntervalSince(parsed)
            written += batches.reduce(0) { $0 + $1.count }
            try! await send(batches)
            batches = []
            parsed = Date()
        }
    }
    precondition(writer.stats.spooled == 0, "ClickHouse refused batches")
    print(String(format: "clickhouse-load events=%d writer_seconds=%.2f writer_events_per_second=%.0f prepare_seconds=%.2f batches=%d",
                 written, writerSeconds, Double(written) / writerSeconds, prepareSeconds, writer.stats.batches))
case "ingest-cpu":
    // One core's work per event of HTTP ingest into ClickHouse, by stage, without the network:
    // parse and validate a request body, enrich, and encode the JSONEachRow rows.
    guard arguments.count == 3, let rounds = Int(arguments[arguments.startIndex + 2]) else { fail("usage: ingest-cpu BODY ROUNDS") }
    let body = Array(try! Data(contentsOf: URL(fileURLWithPath: arguments[arguments.startIndex + 1])))
    let writer = ClickHouseEventWriter(client: ClickHouseClient(try! ClickHouseEndpoint(url: "http://127.0.0.1:1", database: "bench")),
                                       spoolPath: NSTemporaryDirectory() + "bench-\(UUID().uuidString).spool")
    let decoder = EventBatchDecoder(), enricher = EventEnricher()
    let now = Int64(Date().timeIntervalSince1970 * 1000)
    var decodeSeconds = 0.0, enrichSeconds = 0.0, encodeSeconds = 0.0, events = 0, bytes = 0
    for round in 0..<rounds {
        var clock = Date()
        guard case .success(let decoded) = body.withUnsafeBufferPointer({ decoder.decode(body: $0, now: now, userAgent: nil) }) else { fail("body does not decode") }
        decodeSeconds += Date().timeIntervalSince(clock); clock = Date()
        let enriched = decoded.events.map { enricher.enrich($0.event) }
        enrichSeconds += Date().timeIntervalSince(clock); clock = Date()
        let rows = writer.encode(enriched, firstSeq: UInt64(round) << 20, received: now)
        encodeSeconds += Date().timeIntervalSince(clock)
        events += enriched.count; bytes += rows.events.count
        // ROWS=FILE keeps the first round's rows, to compare encoders.
        if round == 0, let path = ProcessInfo.processInfo.environment["ROWS"] { try! Data(rows.events + rows.identities).write(to: URL(fileURLWithPath: path)) }
    }
    let perEvent = { (seconds: Double) in String(format: "%.2f", seconds * 1e6 / Double(events)) }
    print("ingest-cpu events=\(events) decode_us=\(perEvent(decodeSeconds)) enrich_us=\(perEvent(enrichSeconds)) encode_us=\(perEvent(encodeSeconds)) total_us=\(perEvent(decodeSeconds + enrichSeconds + encodeSeconds)) row_bytes=\(bytes / max(events, 1))")

case "clickhouse-rates":
    guard arguments.count == 4 else { fail("usage: clickhouse-rates URL DATABASE PLAN") }
    let backend = ClickHouseBackend(client: ClickHouseClient(try! ClickHouseEndpoint(url: arguments[arguments.startIndex + 1], database: arguments[arguments.startIndex + 2])))
    let plan: TrackingPlan
    do { plan = try TrackingPlanLoader.load(path: arguments[arguments.startIndex + 3]) } catch { fail(error.description) }
    let query = RatesQuery(site: plan.site, plan: plan, includeBots: true)
    var times: [Double] = []
    var report: RatesReport?
    for _ in 0..<max(1, Int(ProcessInfo.processInfo.environment["RUNS"] ?? "") ?? 3) {
        let started = Date()
        report = try! await backend.rates(query)
        times.append(Date().timeIntervalSince(started))
    }
    printRates(report!, times: times)
case "clickhouse-predict":
    // clickhouse-predict URL DATABASE PLAN MACRO MICROS: as `predict`, in ClickHouse (median of 3, whole report).
    guard arguments.count == 6 else { fail("usage: clickhouse-predict URL DATABASE PLAN MACRO MICROS") }
    let backend = ClickHouseBackend(client: ClickHouseClient(try! ClickHouseEndpoint(url: arguments[arguments.startIndex + 1], database: arguments[arguments.startIndex + 2])))
    let plan: TrackingPlan
    do { plan = try TrackingPlanLoader.load(path: arguments[arguments.startIndex + 3]) } catch { fail(error.description) }
    let query = PredictQuery(site: plan.site, plan: plan, macro: arguments[arguments.startIndex + 4],
                             micros: arguments[arguments.startIndex + 5].split(separator: ",").map(String.init), from: 0, includeBots: true)
    var times: [Double] = []
    var report: PredictiveValueReport?
    for _ in 0..<3 {
        let started = Date()
        report = try! await backend.predict(query)
        times.append(Date().timeIntervalSince(started))
    }
    var tables: [String: [Int]] = [:]
    for micro in report!.micros {
        tables[micro.name] = [micro.rateWith.numerator, micro.rateWith.denominator - micro.rateWith.numerator,
                              micro.rateWithout.numerator, micro.rateWithout.denominator - micro.rateWithout.numerator]
    }
    struct Output: Encodable { var median_ms: Double; var persons: Int; var tables: [String: [Int]] }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    print(String(decoding: try! encoder.encode(Output(median_ms: (times.sorted()[1] * 10_000).rounded() / 10, persons: report!.persons,
                                                      tables: tables)), as: UTF8.self))
case "person-reports":
    // person-reports DB URL DATABASE PLAN: the experiment (product_cta), micro paths (purchase), engagement
    // score, audience (carted, not bought), attribution (purchase, every model) and tracking health reports on the embedded engine (median of 7) and in ClickHouse
    // (median of 3), and whether they agree.
    guard arguments.count == 5 else { fail("usage: person-reports DB URL DATABASE PLAN") }
    let store = try! EventStore(path: arguments[arguments.startIndex + 1])
    let embedded = EngineBackend(live: store.live, directory: store)
    let backend = ClickHouseBackend(client: ClickHouseClient(try! ClickHouseEndpoint(url: arguments[arguments.startIndex + 2], database: arguments[arguments.startIndex + 3])))
    let plan: TrackingPlan
    do {
        let text = try String(contentsOfFile: arguments[arguments.startIndex + 4], encoding: .utf8)
        plan = try TrackingPlanLoader.load(yaml: text + "experiments:\n  product_cta:\n    variants: { control: 50, bold_cta: 50 }\n"
                                           + "    primary: add_to_cart\n    guardrails: [purchase]\n"
                                           + "audiences:\n  carted_not_bought:\n    did: [add_to_cart]\n    not: [purchase]\n    within: 30d\n")
    } catch { fail("\(error)") }
    let experiment = ExperimentQuery(site: plan.site, plan: plan, experiment: "product_cta", includeBots: true)
    var paths = PathsQuery(site: plan.site, plan: plan, macro: "purchase", from: 0, includeBots: true)
    paths.top = 20
    func median(_ runs: Int, _ body: () async throws -> Void) async -> Double {
        var times: [Double] = []
        for _ in 0..<runs {
            let started = Date()
            try! await body()
            times.append(Date().timeIntervalSince(started))
        }
        return (times.sorted()[runs / 2] * 10_000).rounded() / 10
    }
    var e1: ExperimentReport?, e2: ExperimentReport?, p1: PathsReport?, p2: PathsReport?
    let experimentEmbedded = await median(7) { e1 = try await embedded.experiment(experiment) }
    let experimentClickHouse = await median(3) { e2 = try await backend.experiment(experiment) }
    let pathsEmbedded = await median(7) { p1 = try await embedded.paths(paths) }
    let pathsClickHouse = await median(3) { p2 = try await backend.paths(paths) }
    let score = ScoreQuery(site: plan.site, plan: plan, includeBots: true)
    let audience = AudienceQuery(site: plan.site, plan: plan, includeBots: true)
    var s1: EngagementScoreReport?, s2: EngagementScoreReport?, a1: [AudienceMembersReport]?, a2: [AudienceMembersReport]?
    let scoreEmbedded = await median(7) { s1 = try await embedded.score(score) }
    let scoreClickHouse = await median(3) { s2 = try await backend.score(score) }
    let audienceEmbedded = await median(7) { a1 = try await embedded.audiences(audience, names: nil, limit: 50) }
    let audienceClickHouse = await median(3) { a2 = try await backend.audiences(audience, names: nil, limit: 50) }
    let attribution = AttributionQuery(site: plan.site, plan: plan, macro: "purchase", includeBots: true)
    var t1: AttributionReport?, t2: AttributionReport?
    let attributionEmbedded = await median(7) { t1 = try await embedded.attribution(attribution) }
    let attributionClickHouse = await median(3) { t2 = try await backend.attribution(attribution) }
    // Tracking health as of just after the last event (the embedded store's first run also
    // starts counting the plan's definitions; the median is of the runs after it).
    let health = HealthQuery(site: plan.site, plan: plan, now: (store.live.snapshot().timestamp.max() ?? 0) + 1)
    var h1: HealthReport?, h2: HealthReport?
    let healthEmbedded = await median(7) { h1 = try await embedded.health(health) }
    let healthClickHouse = await median(3) { h2 = try await backend.health(health) }
    func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-9 * max(1, abs(a)) }
    let sameAttribution = t1!.conversions == t2!.conversions && t1!.channels.map(\.channel) == t2!.channels.map(\.channel)
        && t1!.channels.map(\.assisted) == t2!.channels.map(\.assisted) && t1!.quality.map(\.persons) == t2!.quality.map(\.persons)
        && zip(t1!.channels, t2!.channels).allSatisfy { a, b in AttributionModel.allCases.allSatisfy { close(a.credit[$0] ?? 0, b.credit[$0] ?? 0) } }
    let sameScore = s1!.persons == s2!.persons && s1!.scoredPersons == s2!.scoredPersons && s1!.bands.map(\.persons) == s2!.bands.map(\.persons)
        && s1!.top.map(\.person) == s2!.top.map(\.person) && zip(s1!.top, s2!.top).allSatisfy { close($0.score, $1.score) }
    let sameAudience = a1!.map(\.size) == a2!.map(\.size) && a1!.map { $0.members.map(\.person) } == a2!.map { $0.members.map(\.person) }
    let sameExperiment = e1!.variants == e2!.variants && e1!.mixedExposures == e2!.mixedExposures
        && zip(e1!.metrics, e2!.metrics).allSatisfy { zip($0.variants, $1.variants).allSatisfy { $0.persons == $1.persons && $0.conversions == $1.conversions } }
    print(#"{"experiment_ms": [\#(experimentEmbedded), \#(experimentClickHouse)], "paths_ms": [\#(pathsEmbedded), \#(pathsClickHouse)], "#
          + #""score_ms": [\#(scoreEmbedded), \#(scoreClickHouse)], "audience_ms": [\#(audienceEmbedded), \#(audienceClickHouse)], "#
          + #""attribution_ms": [\#(attributionEmbedded), \#(attributionClickHouse)], "attribution_same": \#(sameAttribution), "#
          + #""experiment_persons": \#(e1!.variants.map(\.persons)), "scored_persons": \#(s1!.scoredPersons), "audience_size": \#(a1![0].size), "#
          + #""health_ms": [\#(healthEmbedded), \#(healthClickHouse)], "health_same": \#(h1! == h2!), "health_series": \#(h1!.series.count), "#
          + #""experiment_same": \#(sameExperiment), "paths_same": \#(p1! == p2!), "score_same": \#(sameScore), "audience_same": \#(sameAudience)}"#)
case "clickhouse-reports":
    guard arguments.count == 6 else { fail("usage: clickhouse-reports URL DATABASE SITE STEPS WINDOW") }
    let backend = ClickHouseBackend(client: ClickHouseClient(try! ClickHouseEndpoint(url: arguments[arguments.startIndex + 1], database: arguments[arguments.startIndex + 2])))
    let site = arguments[arguments.startIndex + 3]
    guard let window = PlanDuration.millis(arguments[arguments.startIndex + 5]) else { fail("bad window") }
    var query = try! FunnelQuery(site: site, stepNames: arguments[arguments.startIndex + 4].split(separator: ",").map(String.init), plan: nil, windowMillis: window)
    query.includeBots = true
    var countTimes: [Double] = [], funnelTimes: [Double] = []
    var report: FunnelReport?
    for _ in 0..<3 {
        var started = Date()
        let counts = try! await backend.eventCounts(EventCountsQuery(site: site))
        countTimes.append(Date().timeIntervalSince(started))
        precondition(!counts.events.isEmpty)
        started = Date()
        report = try! await backend.funnel(query)
        funnelTimes.append(Date().timeIntervalSince(started))
    }
    print(#"{"count_median_ms": \#((countTimes.sorted()[1] * 10_000).rounded() / 10), "funnel_median_ms": \#((funnelTimes.sorted()[1] * 10_000).rounded() / 10), "counts": \#(report!.steps.map(\.count))}"#)
default:
    fail("usage: StepwiseBench ndjson N FILE | bodies DIR | load DB | count DB SITE | funnel DB SITE STEPS WINDOW [BREAKDOWN] | rates DB PLAN")
}

/// A rates run as one JSON line: the median and every run in order (this VM is noisy), and
/// the counts a peer or the other backend must match.
func printRates(_ report: RatesReport, times: [Double]) {
    let runTimes = times.map { ($0 * 10_000).rounded() / 10 }
    var counts: [String: [Int]] = [:]
    var audiences: [String: [Int]] = [:]
    for definition in report.definitions {
        counts[definition.name] = [definition.completions, definition.persons, definition.sessions]
        if let rate = definition.perAudience { audiences[definition.name] = [rate.numerator, rate.denominator] }
    }
    struct Output: Encodable { var median_ms: Double; var runs_ms: [Double]; var persons: Int; var sessions: Int; var counts: [String: [Int]]; var audiences: [String: [Int]] }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let output = Output(median_ms: (times.sorted()[times.count / 2] * 10_000).rounded() / 10, runs_ms: runTimes, persons: report.persons,
                        sessions: report.sessions, counts: counts, audiences: audiences)
    print(String(decoding: try! encoder.encode(output), as: UTF8.self))
}
