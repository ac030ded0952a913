import StepwiseCore
import StepwisePlan

/// Judges a site's tracking from its hourly volumes (SPEC §4.9).
///
/// Every event name, plan definition and conversion ratio is a daily series on the plan's
/// calendar, whole and per device and browser. A day is judged against the same weekday of
/// the last N weeks (with a wider band while fewer than min(N, 3) such weeks exist; not at all
/// in the first week), today on the hours elapsed so far against the same hours of those days. Consecutive anomalous days of one series and segment form one anomaly,
/// open while its last day is the last judged one.
public enum HealthCalculator {
    private static let hour = VolumeIndex.hourMillis

    /// Which part of a series a grid counts: the whole site, one device, one browser.
    private enum Part: Hashable, Comparable {
        case all, device(UInt8), browser(UInt8)

        var dimension: Int { switch self { case .all: 0; case .device: 1; case .browser: 2 } }
        var label: String? {
            switch self {
            case .all: nil
            case .device(let code): "device=\(DeviceType(rawValue: code)?.description ?? "unknown")"
            case .browser(let code): "browser=\(Browser(rawValue: code)?.description ?? "unknown")"
            }
        }
    }

    private struct GridKey: Hashable {
        var series: Int64
        var part: Part
    }

    private struct Verdict {
        var observed: Double
        var band: RobustBand
        var kind: Anomaly.Kind?
        var history: [Double]
        var baseline: String
        var denominator: Double?
        var partial: Bool
    }

    private struct Watched {
        var name: String
        var kind: Anomaly.SeriesKind
        /// A count series, or a ratio's numerator.
        var code: Int64
        var denominator: Int64?
    }

    private struct Hit {
        var series: Watched
        var part: Part
        var day: Int
        var verdict: Verdict
    }

    /// Judged from the volumes the embedded store keeps; the index must watch the plan's definitions.
    public static func compute(_ query: HealthQuery, volumes: VolumeIndex, table: EventTable) -> HealthReport {
        compute(query, volumes: HealthVolumes(query, index: volumes, table: table))
    }

    public static func compute(_ query: HealthQuery, volumes: HealthVolumes) -> HealthReport {
        let calendar = query.plan.calendar
        let (start, firstListed, today) = query.judgedDays
        let weeks = query.historyWeeks
        let listedNotes = query.annotations.filter { calendar.day(of: $0.at) >= firstListed && $0.at <= query.now }
        var report = HealthReport(
            site: query.site, evaluatedAt: Timestamp.formatRFC3339(query.now), from: LocalCalendar.format(day: firstListed),
            to: LocalCalendar.format(day: today), historyWeeks: weeks, status: .noData, open: [], recent: [], seriesJudged: 0,
            seriesWarmingUp: 0, quality: ingestQuality(query, firstListed: firstListed, today: today),
            series: [], annotations: listedNotes.sorted { $0.at < $1.at }.map(AnnotationNote.init), method: method(weeks))
        guard let firstHour = volumes.firstHour else { return report }

        // The window: the listed days and the history the first of them needs.
        let dayCount = Int(today - start + 1)
        var slots: [Int32: (day: Int, hour: Int)?] = [:]
        func slot(_ h: Int32) -> (day: Int, hour: Int)? {
            if let known = slots[h] { return known }
            let t = Int64(h) * hour
            let day = calendar.day(of: t)
            let found: (day: Int, hour: Int)? = day < start || day > today
                ? nil : (Int(day - start), min(Int((t - calendar.start(ofDay: day)) / hour), 23))
            slots[h] = found
            return found
        }
        let firstDay = calendar.day(of: Int64(firstHour) * hour)
        var events = [Int32](repeating: 0, count: dayCount * 24), bots = events
        for (h, traffic) in volumes.traffic {
            guard let (d, h) = slot(h) else { continue }
            events[d * 24 + h] += traffic.events
            bots[d * 24 + h] += traffic.botEvents
        }
        // Event names take codes ≥ 0 (their place among the names counted and the plan's funnel
        // steps), definitions their `VolumeIndex.definitionSeries`.
        var eventNames = Set(volumes.counts.keys.compactMap { if case .event(let name) = $0.series { name } else { nil } })
        for funnel in query.plan.funnels {
            for step in funnel.steps { if case .event(let name) = step { eventNames.insert(name) } }
        }
        let nameOf = eventNames.sorted()
        let codeOf = Dictionary(uniqueKeysWithValues: nameOf.enumerated().map { ($0.element, Int64($0.offset)) })
        var grids: [GridKey: [Int32]] = [:]
        for (cell, count) in volumes.counts {
            guard let (d, h) = slot(cell.hour) else { continue }
            let series = switch cell.series {
            case .event(let name): codeOf[name]!
            case .definition(let k): VolumeIndex.definitionSeries(k)
            }
            for part in [Part.all, .device(cell.device), .browser(cell.browser)] {
                grids[GridKey(series: series, part: part), default: [Int32](repeating: 0, count: dayCount * 24)][d * 24 + h] += count
            }
        }
        // Tracking starts part way through its first day: history begins the day after.
        let origin = Int(max(firstDay + 1, start) - start)
        let todayIndex = dayCount - 1
        let elapsed = min(Int((query.now - calendar.start(ofDay: today)) / hour), 24)
        let listed = Array(Int(firstListed - start)...todayIndex)

        func value(_ grid: [Int32]?, _ d: Int, _ hours: Int) -> Double {
            guard let grid else { return 0 }
            var sum: Int32 = 0
            for h in 0..<hours { sum += grid[d * 24 + h] }
            return Double(sum)
        }
        // Same weekday of the last N weeks; with fewer than min(N, 3) of them the band widens.
        func history(_ d: Int) -> (days: [Int], baseline: String, widen: Double)? {
            let weekly = (1...weeks).map { d - 7 * $0 }.filter { $0 >= origin }
            guard !weekly.isEmpty else { return nil }
            let short = weekly.count < min(weeks, 3)
            return (weekly.reversed(), "same weekday of the last \(weekly.count) week\(weekly.count == 1 ? "" : "s")"
                        + (short ? " (warming up: band widened by \(Int(HealthQuery.warmUpWidening * 100)) %)" : ""),
                    short ? HealthQuery.warmUpWidening : 0)
        }
        // Each series' week-over-week variation over every whole day of the window, once.
        var noiseOf: [GridKey: Double] = [:]
        func relativeNoise(_ key: GridKey) -> Double {
            if let known = noiseOf[key] { return known }
            let grid = grids[key]
            let pairs = origin + 7 < todayIndex ? (origin + 7..<todayIndex).map { (value(grid, $0, 24), value(grid, $0 - 7, 24)) } : []
            let noise = RobustBand.relativeNoise(weekOverWeek: pairs)
            noiseOf[key] = noise
            return noise
        }
        func judgeCount(_ key: GridKey, _ d: Int) -> Verdict? {
            let grid = grids[key]
            let hours = d == todayIndex ? elapsed : 24
            guard hours > 0, let (days, baseline, widen) = history(d) else { return nil }
            let past = days.map { value(grid, $0, hours) }
            guard let band = RobustBand.counts(history: past, widen: widen, relativeNoise: relativeNoise(key)) else { return nil }
            // Early in the day there is too little to judge: an open anomaly stays open until there is.
            if hours < 24, band.expected < HealthQuery.silentExpected { return nil }
            let observed = value(grid, d, hours)
            var verdict = Verdict(observed: observed, band: band, history: past, baseline: baseline, partial: hours < 24)
            let steady = Double(past.filter { $0 > 0 }.count) >= 0.75 * Double(past.count)
            if observed == 0, band.expected >= HealthQuery.silentExpected, steady {
                verdict.kind = .silent
            } else if abs(band.z(observed)) >= HealthQuery.zThreshold, abs(observed - band.expected) >= HealthQuery.minimumDeviation {
                verdict.kind = observed < band.expected ? .drop : .spike
            }
            return verdict
        }
        func judgeRatio(_ numerator: [Int32]?, _ denominator: [Int32]?, _ d: Int, bot: Bool = false) -> Verdict? {
            let hours = d == todayIndex ? elapsed : 24
            guard hours > 0, let (days, baseline, widen) = history(d) else { return nil }
            let n = value(denominator, d, hours)
            guard n >= HealthQuery.minimumDenominator else { return nil }
            var historyTrials = 0.0
            let past = days.compactMap { day -> Double? in
                let trials = value(denominator, day, hours)
                guard trials >= 5 else { return nil }
                historyTrials += trials
                return value(numerator, day, hours) / trials
            }
            guard past.count * 2 >= days.count,
                  let band = RobustBand.ratio(history: past, denominator: n, historyTrials: historyTrials, widen: widen) else { return nil }
            let observed = value(numerator, d, hours) / n
            var verdict = Verdict(observed: observed, band: band, history: past, baseline: baseline, denominator: n, partial: hours < 24)
            let change = band.expected > 0 ? abs(observed / band.expected - 1) : (observed > 0 ? 1 : 0)
            // Bot events come in bursts (one crawler, forty pages), so the share is judged on whole
            // days and only a move of at least 5 points counts.
            let botMove = !bot || (hours == 24 && abs(observed - band.expected) >= HealthQuery.minimumBotShareChange)
            if abs(band.z(observed)) >= HealthQuery.zThreshold, change >= HealthQuery.minimumRatioChange, botMove {
                verdict.kind = bot ? .botShare : (observed < band.expected ? .ratioDrop : .ratioRise)
            }
            return verdict
        }

        // The series: event names, definitions, ratios.
        let names = HealthQuery.watchedDefinitions(of: query.plan).map(\.name)
        func definitionCode(_ name: String) -> Int64? { names.firstIndex(of: name).map(VolumeIndex.definitionSeries) }
        func eventCode(_ name: String) -> Int64? { codeOf[name] }
        // An event a definition merely names (`when: {event: X}`) is one series, judged once as the definition.
        let namedOnly = Set(query.plan.conversions.filter { $0.when.isNameOnly }.compactMap(\.when.event))
        var watched: [Watched] = Set(grids.keys.map(\.series)).filter { $0 >= 0 }.sorted()
            .map { Watched(name: nameOf[Int($0)], kind: .event, code: $0) }
            .filter { !namedOnly.contains($0.name) }
        let definitions = names.enumerated().filter { !$0.element.hasSuffix("/denominator") }
            .map { Watched(name: $0.element, kind: .definition, code: VolumeIndex.definitionSeries($0.offset)) }
        watched += definitions
        var ratios: [Watched] = []
        func addRatio(_ name: String, _ numerator: Int64?, _ denominator: Int64?) {
            guard let numerator, let denominator, !ratios.contains(where: { $0.code == numerator && $0.denominator == denominator }) else { return }
            ratios.append(Watched(name: name, kind: .ratio, code: numerator, denominator: denominator))
        }
        for funnel in query.plan.funnels {
            func code(_ step: FunnelDefinition.Step) -> Int64? {
                switch step {
                case .definition(let name): definitionCode(name)
                case .event(let name): eventCode(name)
                }
            }
            for (a, b) in zip(funnel.steps, funnel.steps.dropFirst()) { addRatio("\(b.name)/\(a.name)", code(b), code(a)) }
        }
        for definition in query.plan.conversions where definition.denominator != nil {
            addRatio("\(definition.name)/denominator", definitionCode(definition.name), definitionCode("\(definition.name)/denominator"))
        }
        for pair in query.plan.health.ratios {
            addRatio("\(pair.numerator)/\(pair.denominator)", definitionCode(pair.numerator), definitionCode(pair.denominator))
        }
        watched += ratios
        var parts: [Int64: [Part]] = [:]
        for key in grids.keys where key.part != .all { parts[key.series, default: []].append(key.part) }

        // Judge every listed day; an anomaly in one segment only is reported as that segment's.
        func judge(_ series: Watched, _ part: Part, _ d: Int) -> Verdict? {
            let key = GridKey(series: series.code, part: part)
            guard let denominator = series.denominator else { return judgeCount(key, d) }
            return judgeRatio(grids[key], grids[GridKey(series: denominator, part: part)], d)
        }
        var hits: [Hit] = []
        var lastJudged: [String: Int] = [:]
        for series in watched {
            let segmentParts = (parts[series.code] ?? []).sorted()
            var overalls: [Verdict?] = []
            for d in listed {
                let overall = judge(series, .all, d)
                overalls.append(overall)
                if overall != nil { lastJudged["\(series.kind):\(series.name)|"] = d }
                var segmentVerdicts: [(Part, Verdict)] = []
                for part in segmentParts {
                    guard let verdict = judge(series, part, d) else { continue }
                    lastJudged["\(series.kind):\(series.name)|\(part.label ?? "")"] = d
                    segmentVerdicts.append((part, verdict))
                }
                let segmentHits = segmentVerdicts.filter { $0.1.kind != nil }
                if d == (elapsed > 0 ? todayIndex : todayIndex - 1) {
                    if overall != nil { report.seriesJudged += 1 } else if history(d) == nil { report.seriesWarmingUp += 1 }
                }
                if let overall, let kind = overall.kind {
                    // Confined: one value of a dimension leaves its band while every other value of it
                    // stays well inside (|z| < 2 the same way), so the fault is that segment's alone.
                    var confined: (Part, Verdict)?
                    let falling = overall.observed < overall.band.expected
                    for dimension in 1...2 {
                        let values = segmentVerdicts.filter { $0.0.dimension == dimension }
                        let same = values.filter { $0.1.kind != nil && direction($0.1.kind!) == direction(kind) }
                        let othersCalm = values.allSatisfy { part, verdict in
                            part == same.first?.0 || (falling ? verdict.band.z(verdict.observed) > -2 : verdict.band.z(verdict.observed) < 2)
                        }
                        if same.count == 1, values.count > 1, othersCalm { confined = same[0]; break }
                    }
                    if let (part, verdict) = confined {
                        hits.append(Hit(series: series, part: part, day: d, verdict: verdict))
                    } else {
                        hits.append(Hit(series: series, part: .all, day: d, verdict: overall))
                    }
                } else {
                    hits += segmentHits.map { Hit(series: series, part: $0.0, day: d, verdict: $0.1) }
                }
            }
            if series.kind != .event, series.kind == .ratio || definitions.contains(where: { $0.code == series.code }) {
                report.series.append(SeriesTrace(series: series.name, seriesKind: series.kind, points: zip(listed, overalls).map { d, verdict in
                    let range = verdict?.band.range(HealthQuery.zThreshold)
                    return TracePoint(day: LocalCalendar.format(day: start + Int64(d)), value: verdict?.observed, expected: verdict?.band.expected,
                                      low: range?.low, high: range?.high, anomalous: verdict?.kind != nil)
                }))
            }
        }
        // Bot share: the whole site's traffic.
        let traffic = Watched(name: "bot share", kind: .traffic, code: 0)
        var botVerdict: Verdict?
        for d in listed {
            guard let verdict = judgeRatio(bots, events, d, bot: true) else { continue }
            lastJudged["traffic:bot share|"] = d
            // The last whole day: today once it is over, else yesterday.
            if d == (elapsed >= 24 ? todayIndex : todayIndex - 1) || botVerdict == nil { botVerdict = verdict }
            if verdict.kind != nil { hits.append(Hit(series: traffic, part: .all, day: d, verdict: verdict)) }
        }
        report.quality.botShare = botVerdict?.observed
        report.quality.botShareExpected = botVerdict?.band.expected

        // Consecutive days of one series, segment and direction are one anomaly.
        let groups = Dictionary(grouping: hits) { "\(direction($0.verdict.kind!))|\($0.series.kind):\($0.series.name)|\($0.part.label ?? "")" }
        for (_, group) in groups {
            var run: [Hit] = []
            let sorted = group.sorted { $0.day < $1.day }
            for (k, hit) in sorted.enumerated() {
                run.append(hit)
                let next = k + 1 < sorted.count ? sorted[k + 1].day : nil
                guard next != hit.day + 1 else { continue }
                let slice = "\(hit.series.kind):\(hit.series.name)|\(hit.part.label ?? "")"
                let anomaly = makeAnomaly(run, start: start, calendar: calendar, open: lastJudged[slice] == hit.day, annotations: query.annotations)
                if anomaly.open { report.open.append(anomaly) } else { report.recent.append(anomaly) }
                run = []
            }
        }
        let order: (Anomaly, Anomaly) -> Bool = { a, b in
            a.severity != b.severity ? a.severity > b.severity : (a.lastSeen != b.lastSeen ? a.lastSeen > b.lastSeen : a.key < b.key)
        }
        report.open.sort(by: order)
        report.recent.sort(by: order)
        report.quality.unplannedEvents = unplanned(query.plan, watched.filter { $0.kind == .event }, grids: grids, listed: listed, value: value)
        report.quality.propTypeDrift = propDrift(volumes.propTypes)
        report.status = !report.open.isEmpty ? .anomalies : (report.seriesJudged == 0 ? .warmingUp : .healthy)
        return report
    }

    private static func direction(_ kind: Anomaly.Kind) -> String {
        switch kind {
        case .drop, .silent: "drop"
        case .spike: "spike"
        case .ratioDrop: "ratio_drop"
        case .ratioRise: "ratio_rise"
        case .botShare: "bot_share"
        }
    }

    private static func makeAnomaly(_ run: [Hit], start: Int64, calendar: LocalCalendar, open: Bool, annotations: [Annotation]) -> Anomaly {
        let first = run[0], last = run[run.count - 1]
        let kind = run.contains { $0.verdict.kind == .silent } ? Anomaly.Kind.silent : last.verdict.kind!
        let worst = run.map { abs($0.verdict.band.z($0.verdict.observed)) }.max() ?? 0
        let severity: Anomaly.Severity = kind == .silent || worst >= 10 ? .critical : (worst >= 6 ? .major : .minor)
        let startDay = start + Int64(first.day)
        let dayText = { (d: Int) in LocalCalendar.format(day: start + Int64(d)) }
        let verdict = last.verdict
        let range = verdict.band.range(HealthQuery.zThreshold)
        let evidence = Evidence(
            day: dayText(last.day), observed: verdict.observed, expected: verdict.band.expected, low: range.low, high: range.high,
            z: verdict.band.z(verdict.observed), history: verdict.history, baseline: verdict.baseline, partialDay: verdict.partial,
            denominator: verdict.denominator)
        let near = annotations.filter { $0.at >= calendar.start(ofDay: startDay) - 86_400_000 && $0.at < calendar.start(ofDay: startDay + 1) }
            .sorted { $0.at < $1.at }
        let segment = last.part.label
        let subject = "\(first.series.name)\(segment.map { " on \($0)" } ?? "")"
        func number(_ x: Double) -> String { first.series.kind == .ratio || first.series.kind == .traffic ? String(format: "%.3f", x) : String(format: "%.0f", x) }
        let history = verdict.history.map(number).joined(separator: ", ")
        let what: String = switch kind {
        case .silent: "went silent"
        case .drop: "fell"
        case .spike: "spiked"
        case .ratioDrop: "conversion ratio fell"
        case .ratioRise: "conversion ratio rose"
        case .botShare: "share of bot events changed"
        }
        let why = "\(subject) \(what): \(number(verdict.observed)) on \(evidence.day)\(verdict.partial ? " so far" : "") against an expected "
            + "\(number(verdict.band.expected)) (\(verdict.baseline): \(history)); robust z \(String(format: "%.1f", evidence.z))"
            + (run.count > 1 ? ", for \(run.count) days" : "") + (near.isEmpty ? "." : "; near \(near.map { "\($0.kind) “\($0.text)”" }.joined(separator: ", ")).")
        let key = "\(direction(kind))|\(first.series.kind.rawValue):\(first.series.name)|\(segment ?? "all")|\(dayText(first.day))"
        return Anomaly(key: key, kind: kind, seriesKind: first.series.kind, series: first.series.name, segment: segment, severity: severity,
                       started: dayText(first.day), lastSeen: dayText(last.day), days: run.count, open: open, evidence: evidence,
                       annotations: near.map(AnnotationNote.init), why: why)
    }

    private static func ingestQuality(_ query: HealthQuery, firstListed: Int64, today: Int64) -> DataQuality {
        let from = LocalCalendar.format(day: firstListed), to = LocalCalendar.format(day: today)
        var byCode: [String: Int] = [:]
        for tally in query.ingest where tally.day >= from && tally.day <= to { byCode[tally.code, default: 0] += tally.count }
        let accepted = byCode.removeValue(forKey: "accepted") ?? 0, duplicates = byCode.removeValue(forKey: "duplicate") ?? 0
        return DataQuality(
            accepted: accepted, duplicates: duplicates,
            duplicateRate: accepted + duplicates > 0 ? Double(duplicates) / Double(accepted + duplicates) : nil,
            rejected: byCode.map { CodeCount(code: $0.key, count: $0.value) }.sorted { $0.count != $1.count ? $0.count > $1.count : $0.code < $1.code },
            unplannedEvents: [], propTypeDrift: [], botShare: nil, botShareExpected: nil)
    }

    /// Events with volume in the listed days that no definition, denominator or funnel names.
    private static func unplanned(
        _ plan: TrackingPlan, _ events: [Watched], grids: [GridKey: [Int32]], listed: [Int], value: ([Int32]?, Int, Int) -> Double
    ) -> [EventVolume] {
        var used: Set<String> = ["$exposure"]
        for definition in plan.conversions {
            if let event = definition.when.event { used.insert(event) }
            if let event = definition.denominator?.event { used.insert(event) }
        }
        for funnel in plan.funnels {
            for step in funnel.steps { if case .event(let name) = step { used.insert(name) } }
        }
        return events.filter { !used.contains($0.name) }.compactMap { event in
            let grid = grids[GridKey(series: event.code, part: .all)]
            let total = listed.reduce(0) { $0 + value(grid, $1, 24) }
            return total > 0 ? EventVolume(event: event.name, events: Int(total)) : nil
        }.sorted { $0.events != $1.events ? $0.events > $1.events : $0.event < $1.event }
    }

    /// Props whose usual type (≥ 95 % of at least 20 earlier events) now also arrives as another.
    private static func propDrift(_ types: [HealthVolumes.PropType: HealthVolumes.PropTally]) -> [PropTypeDrift] {
        struct Slot: Hashable { var event: String; var key: String }
        var baseline: [Slot: [String: Int]] = [:], recent: [Slot: [String: HealthVolumes.PropTally]] = [:]
        for (type, tally) in types {
            let slot = Slot(event: type.event, key: type.key)
            if type.recent { recent[slot, default: [:]][type.type] = tally } else { baseline[slot, default: [:]][type.type] = tally.events }
        }
        var drift: [PropTypeDrift] = []
        for (slot, types) in baseline {
            let total = types.values.reduce(0, +)
            guard total >= 20, let usual = types.first(where: { Double($0.value) >= 0.95 * Double(total) })?.key else { continue }
            for (type, seen) in recent[slot] ?? [:] where type != usual && seen.events >= 5 && Double(types[type] ?? 0) < 0.05 * Double(total) {
                drift.append(PropTypeDrift(event: slot.event, key: slot.key, usualType: usual, newType: type,
                                           events: seen.events, since: Timestamp.formatDay(Int64(seen.since) * 86_400_000)))
            }
        }
        return drift.sorted { ($0.event, $0.key, $0.newType) < ($1.event, $1.key, $1.newType) }
    }

    private static func method(_ weeks: Int) -> String {
        "Each event, definition and conversion ratio is a daily series on the plan's calendar, whole and per device and browser. "
            + "A day is judged against the same weekday of the last \(weeks) weeks (the first week is not judged; while fewer than "
            + "min(N, 3) weeks exist the band widens by \(Int(HealthQuery.warmUpWidening * 100)) % of the expected value); today counts the hours elapsed so far against the same hours of those days. Expected = median, "
            + "σ² = max(1.4826·MAD, the series' week-over-week variation × expected)² + sampling noise of the day and of the median (Poisson for counts, binomial for ratios); an anomaly leaves the band by "
            + "\(Int(HealthQuery.zThreshold))σ and by \(Int(HealthQuery.minimumDeviation)) events (ratios: by \(Int(HealthQuery.minimumRatioChange * 100)) %, "
            + "on at least \(Int(HealthQuery.minimumDenominator)) trials). Zero on a day expected to bring ≥ \(Int(HealthQuery.silentExpected)) "
            + "is 'silent'. Severity: critical when silent or |z| ≥ 10, major from 6, else minor. An anomaly in one device or browser only "
            + "is reported as that segment's."
    }
}
