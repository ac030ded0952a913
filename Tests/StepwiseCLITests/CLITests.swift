import Foundation
import Testing

/// The `stepwise` command as a user runs it: whole outputs and SPEC §6 exit codes. Each
/// instance works in its own temporary folder, removed with it.
@Suite final class CLITests: Sendable {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("stepwise-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    var database: String { directory.appendingPathComponent("cli.db").path }

    func write(_ name: String, _ text: String) throws -> String {
        let path = directory.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func stepwise(_ arguments: String...) throws -> Run { try stepwise(arguments: arguments) }

    func stepwise(arguments: [String]) throws -> Run {
        let binary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("stepwise")
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["STEPWISE_DB"] = database
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// `stepwise serve` on a free port, running once it says it listens.
    func startServer() throws -> Process {
        let binary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("stepwise")
        let process = Process()
        process.executableURL = binary
        process.arguments = ["serve", "--db", database, "--port", "0"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var text = ""
        while !text.contains("listening on") {
            let data = out.fileHandleForReading.availableData
            if data.isEmpty { break }
            text += String(decoding: data, as: UTF8.self)
        }
        #expect(text.contains("listening on"), "\(text)")
        return process
    }

    /// Two visitors: `a` with two sessions (a 2-hour gap), `b` with one; plus a bot.
    let events = """
        {"site":"s.example","event":"pageview","visitor":"a","timestamp":"2026-11-02T10:00:00Z","id":"1"}
        {"site":"s.example","event":"cta_click","visitor":"a","timestamp":"2026-11-02T10:01:00Z","id":"2"}
        {"site":"s.example","event":"pageview","visitor":"a","timestamp":"2026-11-02T12:01:00Z","id":"3"}
        {"site":"s.example","event":"pageview","visitor":"b","timestamp":"2026-11-03T09:00:00Z","id":"4"}
        {"site":"s.example","event":"pageview","visitor":"crawler","timestamp":"2026-11-03T09:00:00Z","user_agent":"Googlebot/2.1"}
        """

    @Test func importThenReportPrintsTheGoldenTable() throws {
        let file = try write("events.ndjson", events)
        let imported = try stepwise("import", file)
        #expect(imported.status == 0)
        #expect(imported.stdout.hasPrefix("accepted 5, duplicates 0, rejected 0 "))

        let table = try stepwise("report", "events", "--site", "s.example")
        #expect(table.status == 0)
        #expect(table.stdout == """
            event      events  persons  sessions
            ---------  ------  -------  --------
            pageview        3        2         3
            cta_click       1        1         1

            """)
        let csv = try stepwise("report", "events", "--site", "s.example", "--format", "csv", "--include-bots")
        #expect(csv.stdout == "event,events,persons,sessions\npageview,4,3,4\ncta_click,1,1,1\n")
        let json = try stepwise("report", "events", "--site", "s.example", "--format", "json", "--from", "2026-11-03", "--to", "2026-11-03")
        #expect(json.stdout.contains(#""event" : "pageview""#))
        #expect(json.stdout.contains(#""persons" : 1"#))
        #expect(json.stdout.contains(#""site" : "s.example""#))

        // Importing the same file again stores nothing new (ids) and still exits 0.
        let again = try stepwise("import", file)
        #expect(again.status == 0)
        #expect(again.stdout.hasPrefix("accepted 1, duplicates 4, rejected 0"))
    }

    @Test func importExitsTwoAndNamesEachRejectedLine() throws {
        let file = try write("mixed.ndjson", """
            {"site":"s.example","event":"pageview","visitor":"a"}
            {"site":"s.example","event":"pageview"
            {"site":"s.example","event":"x","visitor":"a","props":{"deep":{"a":1}}}
            """)
        let run = try stepwise("import", file)
        #expect(run.status == 2)
        #expect(run.stdout.hasPrefix("accepted 1, duplicates 0, rejected 2"))
        #expect(run.stderr.contains("line 2: invalid_json"))
        #expect(run.stderr.contains("line 3: invalid_type [props.deep]"))
    }

    @Test func importReadsCSVAndStandardInput() throws {
        let csv = try write("e.csv", "site,event,visitor,timestamp\ns.example,signup,a,2026-11-02T10:00:00Z\n")
        #expect(try stepwise("import", csv).status == 0)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        let binary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("stepwise").path
        process.arguments = ["-c", "printf '%s\\n' '{\"site\":\"s.example\",\"event\":\"signup\",\"visitor\":\"b\"}' | \(binary) import - --db \(database)"]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(try stepwise("report", "events", "--site", "s.example", "--format", "csv").stdout == "event,events,persons,sessions\nsignup,2,2,2\n")
    }

    @Test(arguments: [
        ["report", "events"],
        ["report", "events", "--site", "s.example", "--format", "xml"],
        ["report", "events", "--site", "s.example", "--from", "last tuesday"],
        ["report", "events", "--site", "nope.example"],
        ["import", "/no/such/file.ndjson"],
        ["serve", "--port", "70000"],
        ["frobnicate"],
    ])
    func badUsageExitsTwoWithOneLineOnStderr(arguments: [String]) throws {
        let file = try write("one.ndjson", #"{"site":"s.example","event":"a","visitor":"v"}"#)
        _ = try stepwise("import", file)
        let run = try stepwise(arguments: arguments)
        #expect(run.status == 2)
        #expect(run.stderr.hasPrefix("stepwise: "))
        #expect(run.stderr.split(separator: "\n").count == 1)
    }

    @Test func aDatabaseThatCannotBeOpenedIsARuntimeError() throws {
        let run = try stepwise("report", "events", "--site", "s", "--db", "/proc/no-such-dir/x.db")
        #expect(run.status == 1)
        #expect(run.stderr.hasPrefix("stepwise: cannot open database"))
    }

    @Test func clickHouseSchemaPrintsTheClusterDDLAndBadSettingsExitTwo() throws {
        let schema = try stepwise("clickhouse", "schema", "--cluster", "main", "--clickhouse-database", "analytics")
        #expect(schema.status == 0)
        #expect(schema.stdout.contains("CREATE TABLE IF NOT EXISTS analytics.events_local ON CLUSTER main ("))
        #expect(schema.stdout.contains("ENGINE = Distributed(main, analytics, events_local, cityHash64(site, visitor))"))
        let badURL = try stepwise("report", "events", "--site", "s", "--clickhouse", "ftp://x")
        #expect(badURL.status == 2)
        #expect(badURL.stderr.hasPrefix("stepwise: --clickhouse: 'ftp://x' must be an http(s) URL"))
        let badDatabase = try stepwise("clickhouse", "migrate", "--clickhouse", "http://127.0.0.1:9", "--clickhouse-database", "1x")
        #expect(badDatabase.status == 2)
        #expect(badDatabase.stderr.contains("--clickhouse-database: '1x' must be letters"))
        let badCluster = try stepwise("clickhouse", "schema", "--cluster", "main; DROP")
        #expect(badCluster.status != 0)
        #expect(badCluster.stderr.contains("'main; DROP' must be letters, digits, _ and -"))
        let badNodeCluster = try stepwise("report", "events", "--site", "s", "--clickhouse", "http://127.0.0.1:9", "--clickhouse-cluster", "a b")
        #expect(badNodeCluster.status == 2)
        #expect(badNodeCluster.stderr.contains("--clickhouse-cluster: 'a b' must be letters"))
        // Away: a runtime failure that says where it tried.
        let away = try stepwise("clickhouse", "migrate", "--clickhouse", "http://127.0.0.1:9")
        #expect(away.status == 1)
        #expect(away.stderr.contains("ClickHouse is unreachable: http://127.0.0.1:9"))
    }

    @Test func helpExitsZero() throws {
        let run = try stepwise("--help")
        #expect(run.status == 0)
        #expect(run.stdout.contains("SUBCOMMANDS"))
    }

    @Test func demoWritesBothSitesWithTheirGroundTruth() throws {
        let run = try stepwise("demo", "--visitors", "300", "--no-serve")
        #expect(run.status == 0)
        #expect(run.stdout.contains("generated shop.example: 300 visitors"))
        #expect(run.stdout.contains("generated saas.example: 300 visitors"))
        let report = try stepwise("report", "events", "--site", "shop.example", "--format", "csv")
        #expect(report.stdout.hasPrefix("event,events,persons,sessions\npageview,"))
        // A second run keeps the existing demo data.
        #expect(try stepwise("demo", "--visitors", "300", "--no-serve").stdout.isEmpty)
    }
}

extension CLITests {
    @Test func planLintLoadsWarnsAndChecksTraffic() throws {
        let plan = try write("stepwise.yml", """
            site: s.example
            conversions:
              signup:
                kind: macro
                when: { event: signup }
              every_page:
                kind: micro
                when: { event: pageview }
            """)
        let noTraffic = try stepwise("plan", "lint", "--plan", plan)
        #expect(noTraffic.status == 0)
        #expect(noTraffic.stdout.contains("\(plan):6: bare_pageview every_page: every_page matches every pageview\n  why: "))
        #expect(noTraffic.stdout.contains("traffic not checked"))

        _ = try stepwise("import", try write("t.ndjson", #"{"site":"s.example","event":"cta_click","visitor":"v"}"#))
        let withTraffic = try stepwise("plan", "lint", "--plan", plan, "--format", "json")
        #expect(withTraffic.status == 0)
        #expect(withTraffic.stdout.contains(#""code" : "untracked_event""#))
        #expect(withTraffic.stdout.contains(#""subject" : "cta_click""#))

        let broken = try write("broken.yml", "site: s.example\nconversions:\n  a:\n    kind: micro\n    when: { evnt: x }\n")
        let failed = try stepwise("plan", "lint", "--plan", broken)
        #expect(failed.status == 2)
        #expect(failed.stderr == "stepwise: \(broken):5: conversions.a.when.evnt: unknown key; expected one of event, nth_in_session, path, props, referrer, returned_within, url\n")
    }

    @Test func ratesReportCountsThePlanWithIntervalsAndRefusesWhatItCannotAnswer() throws {
        _ = try stepwise("import", try write("events.ndjson", events))
        let plan = try write("stepwise.yml", """
            site: s.example
            conversions:
              cta:
                kind: micro
                when: { event: cta_click }
              came_back:
                kind: micro
                when: { event: pageview, returned_within: 1d }
                count: once_per_session
                value: 2
              signup:
                kind: macro
                when: { event: signup }
            """)
        // a: cta once, back after two hours (second session); b: one visit. Intervals: scipy's Wilson.
        let table = try stepwise("report", "rates", "--site", "s.example", "--plan", plan)
        #expect(table.status == 0)
        #expect(table.stdout == """
            s.example: 2 persons, 3 sessions
            definition  kind   count             completions  persons  per person (95% CI)  per session (95% CI)  per audience (95% CI)  value
            ----------  -----  ----------------  -----------  -------  -------------------  --------------------  ---------------------  -----
            cta         micro  every                       1        1  50.00% (9.45–90.55)  33.33% (6.15–79.23)   -                          -
            came_back   micro  once_per_session            1        1  50.00% (9.45–90.55)  33.33% (6.15–79.23)   -                          2
            signup      macro  every                       0        0  0.00% (0.00–65.76)   0.00% (0.00–56.15)    -                          -

            """)
        let csv = try stepwise("report", "rates", "--site", "s.example", "--plan", plan, "--format", "csv", "--include-bots")
        #expect(csv.stdout.split(separator: "\n")[1].hasPrefix("cta,micro,every,1,1,1,,0.3333333333333333,0.06149194472039615,0.7923403991979523,3,"))
        let json = try stepwise("report", "rates", "--site", "s.example", "--plan", plan, "--format", "json", "--segment", "visitor_type=returning")
        #expect(json.stdout.contains(#""denominator_kind" : "persons""#))
        #expect(json.stdout.contains(#""segments" : [\#n    "visitor_type=returning"\#n  ]"#))

        let noPlan = try stepwise("report", "rates", "--site", "s.example")
        #expect(noPlan.status == 2)
        #expect(noPlan.stderr == "stepwise: site s.example has no tracking plan; pass --plan stepwise.yml\n")
        let badSegment = try stepwise("report", "rates", "--site", "s.example", "--plan", plan, "--segment", "device=phone")
        #expect(badSegment.status == 2)
        #expect(badSegment.stderr == "stepwise: --segment device=phone: unknown device; one of unknown, desktop, mobile, tablet\n")
        let otherSite = try stepwise("report", "rates", "--site", "s.example", "--plan", try write("t.yml", "site: t.example\n"))
        #expect(otherSite.status == 2)
        #expect(otherSite.stderr.contains("is the plan of site t.example, not s.example"))
    }

    @Test func theDemoShipsAPlanSoRatesWorkOutOfTheBox() throws {
        #expect(try stepwise("demo", "--no-serve", "--visitors", "300").status == 0)
        let rates = try stepwise("report", "rates", "--site", "saas.example", "--format", "csv")
        #expect(rates.status == 0)
        #expect(rates.stdout.contains("\ndemo_booked,macro,every,"))
    }

    @Test func funnelReportPrintsStepsAndTheLeakAndRefusesBadFunnels() throws {
        let file = try write("funnel.ndjson", """
            {"site":"f.example","event":"view","visitor":"a","timestamp":"2026-11-02T10:00:00Z"}
            {"site":"f.example","event":"cart","visitor":"a","timestamp":"2026-11-02T10:01:30Z"}
            {"site":"f.example","event":"buy","visitor":"a","timestamp":"2026-11-02T10:05:00Z"}
            {"site":"f.example","event":"view","visitor":"b","timestamp":"2026-11-02T11:00:00Z"}
            {"site":"f.example","event":"cart","visitor":"b","timestamp":"2026-11-02T11:02:00Z"}
            {"site":"f.example","event":"view","visitor":"c","timestamp":"2026-11-02T12:00:00Z"}
            """)
        #expect(try stepwise("import", file).status == 0)
        let table = try stepwise("report", "funnel", "--site", "f.example", "--steps", "view,cart,buy", "--window", "1h")
        #expect(table.status == 0)
        #expect(table.stdout == """
            f.example: funnel (ordered, window 1h, per person)
            #  step  persons  from previous  from start  dropped  median time
            -  ----  -------  -------------  ----------  -------  -----------
            1  view        3         100.0%      100.0%        0            -
            2  cart        2          66.7%       66.7%        1        1m45s
            3  buy         1          50.0%       33.3%        1        3m30s
            biggest leak: view → cart, 1 persons lost (66.7% continue)
            lowest rate: cart → buy, 50.0%

            """)
        let strict = try stepwise("report", "funnel", "--site", "f.example", "--steps", "view,buy", "--order", "strict", "--format", "csv")
        #expect(strict.stdout.contains("\n,buy,0,0,0,3,,\n"))  // a's cart interrupts view → buy
        let json = try stepwise("report", "funnel", "--site", "f.example", "--steps", "view,cart", "--per", "session", "--format", "json")
        #expect(json.stdout.contains(#""sessions" : 3"#))

        let oneStep = try stepwise("report", "funnel", "--site", "f.example", "--steps", "view")
        #expect(oneStep.status == 2)
        #expect(oneStep.stderr == "stepwise: --steps: a funnel needs at least two steps\n")
        let both = try stepwise("report", "funnel", "--site", "f.example")
        #expect(both.stderr == "stepwise: give --funnel NAME (a funnel of the plan) or --steps a,b,c\n")
        let window = try stepwise("report", "funnel", "--site", "f.example", "--steps", "view,cart", "--window", "soon")
        #expect(window.status == 2)
        let exclusion = try stepwise("report", "funnel", "--site", "f.example", "--steps", "view,cart", "--exclude", "x:cart:view")
        #expect(exclusion.stderr.hasPrefix("stepwise: --exclude: exclude x between cart and view"))
    }
}

/// `report predict`, `report score` and `audience …` on a hand-worked site.
@Suite struct LeadsCLITests {
    let cli: CLITests

    init() throws { cli = try CLITests() }

    /// a views pricing then buys; b views pricing twice (two sessions); c signs up; d browses.
    let events = """
        {"site":"l.example","event":"pageview","visitor":"a","timestamp":"2026-11-02T10:00:00Z","url":"https://l.example/pricing?gclid=G-1"}
        {"site":"l.example","event":"purchase","visitor":"a","user":"ann","timestamp":"2026-11-02T11:00:00Z"}
        {"site":"l.example","event":"pageview","visitor":"b","timestamp":"2026-11-02T10:00:00Z","url":"https://l.example/pricing?gclid=G-2"}
        {"site":"l.example","event":"pageview","visitor":"b","timestamp":"2026-11-03T10:00:00Z","url":"https://l.example/pricing"}
        {"site":"l.example","event":"newsletter","visitor":"c","timestamp":"2026-11-02T10:00:00Z"}
        {"site":"l.example","event":"pageview","visitor":"d","timestamp":"2026-11-03T12:00:00Z"}
        """

    let plan = """
        site: l.example
        conversions:
          pricing:
            kind: micro
            when: { event: pageview, path: /pricing }
            count: once_per_session
            value: 4
          newsletter:
            kind: micro
            when: { event: newsletter }
          purchase:
            kind: macro
            when: { event: purchase }
        audiences:
          warm:
            did: [pricing]
            not: [purchase]
        """

    @Test func predictScoreAndAudiencesPrintTheirTablesAndRefuseBadOptions() throws {
        #expect(try cli.stepwise("import", try cli.write("l.ndjson", events)).status == 0)
        let planFile = try cli.write("l.yml", plan)
        let predict = try cli.stepwise("report", "predict", "--site", "l.example", "--plan", planFile, "--format", "csv")
        #expect(predict.status == 0, "\(predict.stderr)")
        // pricing: a (bought) and b did it: 1 of 2 against 0 of 2 (Fisher, scipy: 1.0); newsletter: 0 of 1 against 1 of 3.
        // Half the persons did pricing with no significant lift: vanity, as the rule says.
        #expect(predict.stdout == """
            micro,persons,rate_with,rate_without,lift,lift_ci_low,lift_ci_high,p_value,test,coverage,prevalence,lag_median_seconds,odds_ratio,verdict
            pricing,2,0.5,0,,,,1,fisher,1,0.5,3600,2.9191859990347915,vanity
            newsletter,1,0,0.3333333333333333,0,,,1,fisher,0,0.25,,0.578354541162322,vanity

            """)
        // Scores as of 2026-11-04T00:00Z with a 1-day half-life: b 4 × 0.5^(38/24) + 4 × 0.5^(14/24) = 4.005;
        // ann 4 × 0.5^(38/24) = 1.336; c 1 × 0.5^(38/24) = 0.334 (newsletter has no value: 1 point).
        let score = try cli.stepwise("report", "score", "--site", "l.example", "--plan", planFile, "--to", "2026-11-03",
                                     "--half-life", "1d", "--format", "csv")
        #expect(score.status == 0, "\(score.stderr)")
        #expect(score.stdout == """
            person,user,score,last activity,micros
            b,,4.00,2026-11-03T10:00:00.000Z,pricing ×2
            ann,ann,1.33,2026-11-02T11:00:00.000Z,pricing
            c,,0.33,2026-11-02T10:00:00.000Z,newsletter

            """)
        let list = try cli.stepwise("audience", "list", "--site", "l.example", "--plan", planFile)
        #expect(list.stdout == """
            audience  members  rule                       webhook
            --------  -------  -------------------------  -------
            warm            1  did pricing, not purchase  no

            """)
        let export = try cli.stepwise("audience", "export", "warm", "--site", "l.example", "--plan", planFile, "--format", "csv")
        #expect(export.stdout.hasPrefix("person,user,score,last_activity,click_ids\nb,,"))
        #expect(export.stdout.hasSuffix(",2026-11-03T10:00:00.000Z,gclid=G-2\n"))

        for (arguments, message) in [
            (["report", "predict", "--macro", "refund"], "stepwise: --macro: 'refund' is not a definition of the plan (its macros: purchase)\n"),
            (["report", "predict", "--lookback", "soon"], "stepwise: --lookback: 'soon' is not a duration; use a whole number and s, m, h, d or w, e.g. 30d\n"),
            (["report", "score", "--half-life", "0d"], "stepwise: --half-life: '0d' is not a duration; use a whole number and s, m, h, d or w, e.g. 30d\n"),
            (["audience", "members", "ghost"], "stepwise: NAME: 'ghost' is not an audience of the plan (its audiences: warm)\n"),
        ] {
            let run = try cli.stepwise(arguments: arguments + ["--site", "l.example", "--plan", planFile])
            #expect(run.status == 2, "\(arguments)")
            #expect(run.stderr == message)
        }
    }
}

/// `stepwise experiment size`: the classic two-proportion sample size (checked against scipy in the engine tests).
@Suite struct ExperimentSizeCLITests {
    @Test func sizePrintsPersonsAndDaysAndRefusesImpossiblePlans() throws {
        let cli = try CLITests()
        let run = try cli.stepwise("experiment", "size", "--baseline", "0.04", "--mde", "10%", "--daily-persons", "1000")
        #expect(run.status == 0)
        #expect(run.stdout == """
            power 0.8, alpha 0.05 two-sided, 2 variants
            baseline 0.04 → 0.044: 39475 persons per variant, 78950 in all, 79 days at 1000 persons a day

            """)
        let impossible = try cli.stepwise("experiment", "size", "--baseline", "0.5", "--mde", "150%")
        #expect(impossible.status == 2)
        #expect(impossible.stderr == "stepwise: --mde: moves the baseline 0.5 to 1.25, outside 0 to 1\n")
        // The demo's experiment, analysed: its true +25 % on add_to_cart is found.
        #expect(try cli.stepwise("demo", "--no-serve", "--visitors", "8000").status == 0)
        let report = try cli.stepwise("report", "experiment", "product_cta", "--site", "shop.example")
        #expect(report.status == 0, "\(report.stderr)")
        #expect(report.stdout.contains("add_to_cart (primary)  bold_cta"))
        #expect(report.stdout.contains("verdict: ship — bold_cta raises add_to_cart"))
        let unknown = try cli.stepwise("report", "experiment", "nope", "--site", "shop.example")
        #expect(unknown.status == 2 && unknown.stderr == "stepwise: NAME: 'nope' is not an experiment of the plan (its experiments: product_cta)\n")
        let noBaseline = try cli.stepwise("experiment", "size", "--mde", "10%")
        #expect(noBaseline.status == 2 && noBaseline.stderr == "stepwise: --baseline is required without --site\n")
    }
}

/// `report attribution|paths|bidding`, `export ads` and `import-spend` on a hand-worked site.
@Suite struct AttributionCLITests {
    let cli: CLITests

    init() throws { cli = try CLITests() }

    /// a lands from a Google ad, comes back direct two days later and buys for 60;
    /// b arrives by the newsletter and views pricing; c comes direct.
    let events = """
        {"site":"m.example","event":"pageview","visitor":"a","timestamp":"2026-11-02T10:00:00Z","url":"https://m.example/pricing?utm_source=google&utm_medium=cpc&utm_campaign=brand&gclid=G-1"}
        {"site":"m.example","event":"pageview","visitor":"a","timestamp":"2026-11-04T10:00:00Z","url":"https://m.example/"}
        {"site":"m.example","event":"purchase","visitor":"a","timestamp":"2026-11-04T10:05:00Z","revenue":{"amount":60,"currency":"EUR"}}
        {"site":"m.example","event":"pageview","visitor":"b","timestamp":"2026-11-03T09:00:00Z","url":"https://m.example/pricing?utm_medium=email&utm_source=news&utm_campaign=weekly"}
        {"site":"m.example","event":"pageview","visitor":"c","timestamp":"2026-11-03T12:00:00Z","url":"https://m.example/"}
        """

    let plan = """
        site: m.example
        currency: EUR
        conversions:
          pricing:
            kind: micro
            when: { event: pageview, path: /pricing }
          purchase:
            kind: macro
            when: { event: purchase }
            value: { prop: revenue }
        """

    @Test func attributionCreditsTheAdOverTheDirectReturnAndCostsItsSpend() throws {
        #expect(try cli.stepwise("import", try cli.write("m.ndjson", events)).status == 0)
        let planFile = try cli.write("m.yml", plan)
        let spend = try cli.write("spend.csv", "date,channel,campaign,cost,currency\n2026-11-02,Paid Search,brand,30,EUR\n2026-11-03,Email,weekly,4,EUR\n")
        let imported = try cli.stepwise("import-spend", spend, "--site", "m.example")
        #expect(imported.status == 0 && imported.stdout == "m.example: 2 spend rows added, 0 replaced (34.00 EUR in this file)\n", "\(imported.stderr)")

        // The direct return takes no credit from the ad under last non-direct; linear splits it.
        let report = try cli.stepwise("report", "attribution", "--site", "m.example", "--plan", planFile,
                                      "--model", "last_non_direct,linear", "--format", "csv")
        #expect(report.status == 0, "\(report.stderr)")
        #expect(report.stdout == """
            level,channel,campaign,credit_last_non_direct,credit_linear,revenue_last_non_direct,revenue_linear,assisted,persons,macro_rate,revenue_per_person,cost,cost_per_person,cost_per_macro
            channel,Paid Search,,1,0.5,60,30,0,1,1,60,30,30,30
            channel,Direct,,0,0.5,0,30,1,1,0,0,,,
            channel,Email,,0,0,0,0,0,1,0,0,4,4,
            campaign,Paid Search,brand,1,0.5,60,30,0,1,1,60,30,30,30
            campaign,Email,weekly,0,0,0,0,0,1,0,0,4,4,

            """)

        let paths = try cli.stepwise("report", "paths", "--site", "m.example", "--plan", planFile, "--format", "csv")
        #expect(paths.status == 0, "\(paths.stderr)")
        #expect(paths.stdout == """
            group,path,truncated,persons,converters,macro_rate
            converting,pricing,false,2,1,0.5
            non_converting,,false,1,0,0
            non_converting,pricing,false,2,1,0.5

            """)

        let google = try cli.stepwise("export", "ads", "--site", "m.example", "--plan", planFile, "--platform", "google", "--name", "Purchase")
        #expect(google.status == 0, "\(google.stderr)")
        #expect(google.stdout == """
            Google Click ID,Conversion Name,Conversion Time,Conversion Value,Conversion Currency
            G-1,Purchase,2026-11-04 10:05:00+00:00,60.00,EUR

            """)
        #expect(google.stderr == "1 conversion exported; 0 skipped without a gclid in the 90 days before converting\n")

        for (arguments, message) in [
            (["report", "attribution", "--model", "last"], "stepwise: --model: 'last' is not a model; use first, last_non_direct, linear, time_decay, position or all\n"),
            (["export", "ads", "--platform", "bing"], "stepwise: --platform: 'bing' is not a platform; use google or meta\n"),
            (["report", "bidding", "--from", "2026-11-01"], "stepwise: --from: bidding counts the 30 days before --to; give --to only\n"),
        ] {
            let run = try cli.stepwise(arguments: arguments + ["--site", "m.example", "--plan", planFile])
            #expect(run.status == 2, "\(arguments)")
            #expect(run.stderr == message, "\(arguments)")
        }
        // A bad row refuses the whole file and leaves the imported spend alone.
        let bad = try cli.write("bad.csv", "date,channel,campaign,cost,currency\n2026-11-05,Paid Search,brand,10,EUR\n2026-11-05,Billboards,,3,EUR\n")
        let refused = try cli.stepwise("import-spend", bad, "--site", "m.example")
        #expect(refused.status == 2 && refused.stderr.hasPrefix("stepwise: \(bad): line 3: channel: "), "\(refused.stderr)")
        let dollars = try cli.write("usd.csv", "date,channel,campaign,cost,currency\n2026-11-05,Display,,3,USD\n")
        let mismatch = try cli.stepwise("import-spend", dollars, "--site", "m.example")
        #expect(mismatch.status == 2 && mismatch.stderr.contains("currency"), "\(mismatch.stderr)")
        let again = try cli.stepwise("report", "attribution", "--site", "m.example", "--plan", planFile, "--format", "csv")
        #expect(again.stdout.contains(",30,30,30\n"))
    }
}

/// `report health` and `annotate` on five weeks of imported history.
@Suite struct HealthCLITests {
    let cli: CLITests

    init() throws { cli = try CLITests() }

    @Test func healthNamesTheSilentMacroAndTheDeployNearIt() throws {
        // 36 days from 2026-10-16: 30 page views and 15 signups a day, until signups stop on 2026-11-20.
        var lines: [String] = []
        let start = 1_792_144_800   // 2026-10-16T10:00:00Z, seconds
        for k in 0..<36 {
            for i in 0..<30 {
                let t = start + k * 86_400 + i * 60
                lines.append(#"{"site":"h.example","event":"pageview","visitor":"v\#(k)-\#(i)","timestamp":\#(t * 1000)}"#)
                if i % 2 == 0, k < 35 {
                    lines.append(#"{"site":"h.example","event":"signup","visitor":"v\#(k)-\#(i)","timestamp":\#(t * 1000 + 1000)}"#)
                }
            }
        }
        #expect(try cli.stepwise("import", try cli.write("h.ndjson", lines.joined(separator: "\n"))).status == 0)
        let planFile = try cli.write("h.yml", "site: h.example\nconversions:\n  signup:\n    kind: macro\n    when: { event: signup }\n")
        let note = try cli.stepwise("annotate", "release 42", "--site", "h.example", "--kind", "deploy", "--at", "2026-11-19T22:00:00Z")
        #expect(note.status == 0 && note.stdout == "annotation 1 on h.example at 2026-11-19T22:00:00.000Z: deploy “release 42”\n", "\(note.stderr)")

        let health = try cli.stepwise("report", "health", "--site", "h.example", "--plan", planFile, "--to", "2026-11-20", "--days", "3", "--format", "csv")
        #expect(health.status == 0, "\(health.stderr)")
        #expect(health.stdout.hasPrefix("""
            state,severity,kind,series,segment,since,last,observed,expected,z,why
            open,critical,silent,signup (definition),all,2026-11-20,2026-11-20,0,15,
            """), "\(health.stdout)")
        #expect(health.stdout.contains("near deploy “release 42”"))
        let table = try cli.stepwise("report", "health", "--site", "h.example", "--plan", planFile, "--to", "2026-11-19", "--days", "3")
        #expect(table.status == 0 && table.stdout.hasPrefix("h.example: healthy, 0 open, 0 closed from 2026-11-17 to 2026-11-19"), "\(table.stdout)")

        let volumes = try cli.stepwise("report", "volumes", "--site", "h.example", "--plan", planFile, "--from", "2026-11-19", "--to", "2026-11-20", "--format", "csv")
        #expect(volumes.status == 0, "\(volumes.stderr)")
        #expect(volumes.stdout == """
            series,kind,total,2026-11-19,2026-11-20
            signup,definition,15,15,0
            pageview,event,60,30,30
            signup,event,15,15,0

            """)

        for (arguments, message) in [
            (["report", "volumes", "--site", "h.example", "--plan", planFile, "--interval", "week"], "stepwise: --interval: 'week' is not an interval; use hour or day\n"),
            (["report", "volumes", "--site", "h.example", "--plan", planFile, "--segment", "os=iOS"], "stepwise: --segment: volumes are kept by device and browser; use device=… or browser=…\n"),
            (["annotate", "x", "--site", "h.example", "--kind", "launch"], "stepwise: --kind: 'launch' is not one of deploy, campaign, incident, tracking, note\n"),
            (["annotate", "x", "--site", "h.example", "--at", "soon"], "stepwise: --at: 'soon' is not an RFC 3339 timestamp such as 2026-11-20T09:30:00Z\n"),
            (["report", "health", "--site", "h.example", "--plan", planFile, "--weeks", "0"], "stepwise: --weeks: must be a whole number from 1 to 12\n"),
            (["report", "health", "--site", "h.example", "--plan", planFile, "--from", "2026-11-01"], "stepwise: --from: health is judged as of a moment; give --to only\n"),
        ] {
            let run = try cli.stepwise(arguments: arguments)
            #expect(run.status == 2, "\(arguments)")
            #expect(run.stderr == message, "\(arguments)")
        }
    }
}

/// `stepwise site add|list|remove`.
@Suite struct SiteCLITests {
    @Test func sitesAreRegisteredListedAndRemovedWithPreciseErrors() throws {
        let cli = try CLITests()
        let added = try cli.stepwise("site", "add", "shop.example", "--timezone", "Europe/Berlin", "--origin", "https://shop.example", "--write-key", "k-0123456789")
        #expect(added.status == 0 && added.stdout == "registered shop.example\n", "\(added.stderr)")
        let list = try cli.stepwise("site", "list")
        #expect(list.stdout == """
            site          timezone       origins               write key  segment key  ga4 stream
            ------------  -------------  --------------------  ---------  -----------  ----------
            shop.example  Europe/Berlin  https://shop.example  yes        no           -

            """)
        for (arguments, message) in [
            (["site", "add", "shop.example"], "stepwise: NAME: site shop.example is already registered\n"),
            (["site", "add", "x.example", "--timezone", "Mars/Base"], "stepwise: --timezone: 'Mars/Base' is not an IANA time zone such as Europe/Berlin\n"),
            (["site", "add", "x.example", "--origin", "x.example"], "stepwise: --origin: 'x.example' is not an origin such as https://shop.example\n"),
            (["site", "remove", "ghost.example"], "stepwise: NAME: site ghost.example is not registered\n"),
        ] {
            let run = try cli.stepwise(arguments: arguments)
            #expect(run.status == 2 && run.stderr == message, "\(arguments): \(run.stderr)")
        }
        #expect(try cli.stepwise("site", "remove", "shop.example").stdout == "removed shop.example; its events stay\n")
    }
}

/// `stepwise backup` and `stepwise restore`, end to end.
@Suite struct BackupCLITests {
    @Test func aBackupRestoresToTheSameReports() throws {
        let cli = try CLITests()
        #expect(try cli.stepwise("import", try cli.write("e.ndjson", cli.events)).status == 0)
        let before = try cli.stepwise("report", "events", "--site", "s.example", "--format", "csv")
        let copy = cli.directory.appendingPathComponent("copy.db").path
        let backup = try cli.stepwise("backup", copy)
        #expect(backup.status == 0 && backup.stdout == "backed up \(cli.database) to \(copy): 5 events, integrity ok\n", "\(backup.stderr)")
        let again = try cli.stepwise("backup", copy)
        #expect(again.status == 2 && again.stderr == "stepwise: PATH: \(copy) exists; a backup never overwrites a file\n")

        // Lose the database, restore it, and every report reads the same.
        try FileManager.default.removeItem(atPath: cli.database)
        let restored = try cli.stepwise("restore", copy)
        #expect(restored.status == 0 && restored.stdout == "restored \(cli.database) from \(copy): 5 events, integrity ok\n", "\(restored.stderr)")
        #expect(try cli.stepwise("report", "events", "--site", "s.example", "--format", "csv").stdout == before.stdout)
        let over = try cli.stepwise("restore", copy)
        #expect(over.status == 2 && over.stderr == "stepwise: --db: \(cli.database) exists; pass --force to replace it with the backup\n")
        #expect(try cli.stepwise("restore", copy, "--force").status == 0)
        let junk = try cli.write("junk.db", "not a database")
        let refused = try cli.stepwise("restore", junk, "--force")
        #expect(refused.status == 2 && refused.stderr.hasPrefix("stepwise: BACKUP: \(junk) cannot be read as a Stepwise database"), "\(refused.stderr)")
    }
}

/// `stepwise erase` and `stepwise prune`, end to end.
@Suite struct PrivacyCLITests {
    @Test func eraseAndPruneDeleteWhatTheySayAndRefuseWhatTheyCannot() throws {
        let cli = try CLITests()
        #expect(try cli.stepwise("import", try cli.write("e.ndjson", cli.events)).status == 0)
        let unknown = try cli.stepwise("erase", "--site", "s.example", "--person", "zed")
        #expect(unknown.status == 2 && unknown.stderr == "stepwise: --person: site s.example has no visitor or user zed\n")
        let erased = try cli.stepwise("erase", "--site", "s.example", "--person", "a")
        #expect(erased.status == 0 && erased.stdout.hasPrefix("erased 3 events, 1 visitor ids and 0 user ids of one person on s.example (log entry 1, sha256 ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb)"), "\(erased.stdout)\(erased.stderr)")
        #expect(try cli.stepwise("report", "events", "--site", "s.example", "--format", "csv").stdout == "event,events,persons,sessions\npageview,1,1,1\n")
        let bad = try cli.stepwise("prune", "--older-than", "2h")
        #expect(bad.status == 2 && bad.stderr.contains("--older-than must be a duration of at least 1d"), "\(bad.stderr)")
        // The remaining events are from early November 2026; a day's retention removes them all.
        let pruned = try cli.stepwise("prune", "--older-than", "1d")
        #expect(pruned.status == 0 && pruned.stdout == "deleted 2 events, 2 visitor ids and 0 user ids older than 1d (log entry 2)\n", "\(pruned.stdout)\(pruned.stderr)")
        #expect(try cli.stepwise("prune", "--older-than", "1d").stdout == "nothing older than 1d\n")
    }

    /// A server caches ids, so erase and prune (and a second server) wait for it to end; the
    /// hold goes with the server's process, even when it is killed.
    @Test func aServerHoldsItsDatabaseAgainstEraseAndPruneUntilItEnds() throws {
        let cli = try CLITests()
        #expect(try cli.stepwise("import", try cli.write("e.ndjson", cli.events)).status == 0)
        let before = try cli.stepwise("report", "events", "--site", "s.example", "--format", "csv").stdout
        let server = try cli.startServer()
        let held = "stepwise: --db: \(cli.database) is held by another Stepwise process (pid \(server.processIdentifier)): "
        let erase = try cli.stepwise("erase", "--site", "s.example", "--person", "a")
        #expect(erase.status == 1 && erase.stderr == held + "erase through DELETE /api/v1/sites/{site}/persons/{person} while it runs, or stop it first\n",
                "\(erase.stderr)")
        let prune = try cli.stepwise("prune", "--older-than", "1d")
        #expect(prune.status == 1 && prune.stderr == held + "a server prunes by itself with serve --retention; or stop it first\n", "\(prune.stderr)")
        let second = try cli.stepwise("serve", "--port", "0")
        #expect(second.status == 1 && second.stderr == held + "one server per database; stop the other first\n", "\(second.stderr)")
        #expect(try cli.stepwise("report", "events", "--site", "s.example", "--format", "csv").stdout == before)

        kill(server.processIdentifier, SIGKILL)
        server.waitUntilExit()
        let erased = try cli.stepwise("erase", "--site", "s.example", "--person", "a")
        #expect(erased.status == 0 && erased.stdout.hasPrefix("erased 3 events"), "\(erased.stdout)\(erased.stderr)")
    }
}
