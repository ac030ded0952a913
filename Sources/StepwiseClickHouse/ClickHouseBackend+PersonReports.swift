import StepwiseCore
import StepwiseEngine
import StepwisePlan

/// The reports built on each person's definition matches (`RatesSQL.matchLines`): rates,
/// predictive value, experiments, paths, and the volumes kept per event.
extension ClickHouseBackend {
    public func rates(_ query: RatesQuery) async throws -> RatesReport {
        let rows = try await rows(RatesSQL(query: query, schema: schema).text, report: "rates")
        let n = query.plan.conversions.count
        var aggregates = RatesAggregates(definitions: n)
        aggregates.stepPersons = Array(repeating: .init(first: 0, both: 0), count: RatesAggregates.stepPairs(of: query.plan).count)
        func malformed(_ row: [JSONValue]) -> ClickHouseError { .malformed("rates row \(row)") }
        for row in rows {
            guard row.count == 18, let d = row[0].number.map(Int.init), let persons = row[1].number.map(Int.init),
                  let completions = row[2].number.map(Int.init), let sessions = row[3].number.map(Int.init), let value = row[4].number,
                  let audience = row[5].number.map(Int.init), let audienceCompleted = row[6].number.map(Int.init),
                  let seriesPersons = Self.map(row[7]), let seriesCompletions = Self.map(row[8]), let frequencies = Self.map(row[9]),
                  let first = row[10].number.map(Int64.init), let last = row[11].number.map(Int64.init),
                  let firstVisit = Self.orderStatistics(row[12], row[13]), let sessionStart = Self.orderStatistics(row[14], row[15]),
                  let lastMatch = Self.orderStatistics(row[16], row[17])
            else { throw malformed(row) }
            if d < n {
                var definition = RatesAggregates.Definition()
                definition.persons = persons
                definition.completions = completions
                definition.sessions = sessions
                definition.value = value
                definition.audienceSize = audience
                definition.audienceCompleted = audienceCompleted
                definition.seriesPersons = seriesPersons
                definition.seriesCompletions = seriesCompletions
                for (completions, persons) in frequencies where completions > 0 && persons > 0 { definition.frequencies[Int(completions)] = persons }
                definition.fromFirstVisit = firstVisit
                definition.fromSessionStart = sessionStart
                // Stored negated, so ClickHouse's ascending sort put the newest first.
                definition.lastMatches = .init(count: lastMatch.count, values: lastMatch.values.map { -$0 })
                aggregates.definitions[d] = definition
            } else if d == n {
                aggregates.persons = persons
                aggregates.sessions = sessions
                aggregates.activePersons = seriesPersons
                aggregates.first = first
                aggregates.last = last
            } else if d - n - 1 < aggregates.stepPersons.count {
                aggregates.stepPersons[d - n - 1] = .init(first: persons, both: completions)
            } else {
                throw malformed(row)
            }
        }
        return aggregates.report(query)
    }

    public func predict(_ query: PredictQuery) async throws -> PredictiveValueReport {
        let (g, micros) = try query.resolve()
        let lastEvent = query.to == nil ? try await lastEvent(site: query.site, plan: query.plan, includeBots: query.includeBots, report: "predict") : nil
        let resolved = PredictiveValueCalculator.resolved(query, lastEvent: lastEvent)
        let rows = try await rows(PredictSQL(query: resolved, macro: g, micros: micros, schema: schema).text, report: "predict")
        var aggregates = PredictAggregates(micros: micros.count)
        for row in rows {
            guard row.count == 7, let kind = row[0].number, let a = row[1].number.map(Int.init), let pattern = row[2].string.flatMap(UInt64.init),
                  let persons = row[3].number.map(Int.init), let converted = row[4].number.map(Int.init),
                  let lags = Self.orderStatistics(row[5], row[6])
            else { throw ClickHouseError.malformed("predict row \(row)") }
            if kind == 0 {
                aggregates.patterns.append(.init(fold: a, pattern: pattern, persons: persons, converted: converted))
            } else if a >= 0, a < micros.count {
                aggregates.lags[a] = lags
            } else {
                throw ClickHouseError.malformed("predict row for micro \(a) of \(micros.count)")
            }
        }
        return try aggregates.report(resolved)
    }

    public func experiment(_ query: ExperimentQuery) async throws -> ExperimentReport {
        let scan = try ExperimentCalculator.scan(query)
        let rows = try await rows(ExperimentSQL(query: query, scan: scan, schema: schema).text, report: "experiment")
        let variants = scan.experiment.variants.count, metrics = scan.metrics.count
        var aggregates = ExperimentAggregates(variants: variants, metrics: metrics)
        for row in rows {
            guard row.count == 4 + metrics, let variant = row[0].number.map(Int.init), let persons = row[1].number.map(Int.init),
                  let revenue = row[2].number, let squares = row[3].number
            else { throw ClickHouseError.malformed("experiment row \(row)") }
            if variant == -2 {
                aggregates.mixed = persons
                continue
            }
            guard variant >= 0, variant < variants else { throw ClickHouseError.malformed("experiment row for variant \(variant) of \(variants)") }
            aggregates.persons[variant] = persons
            aggregates.revenue[variant] = revenue
            aggregates.revenueSquares[variant] = squares
            for m in 0..<metrics {
                guard let conversions = row[4 + m].number else { throw ClickHouseError.malformed("experiment row \(row)") }
                aggregates.conversions[variant][m] = Int(conversions)
            }
        }
        return try aggregates.report(query)
    }

    public func paths(_ query: PathsQuery) async throws -> PathsReport {
        let macroName = try AttributionQuery.macro(query.macro, in: query.plan)
        guard let macro = query.plan.conversions.firstIndex(where: { $0.name == macroName }) else { throw ClickHouseError.malformed("macro \(macroName)") }
        let lastEvent = query.to == nil ? try await lastEvent(site: query.site, plan: query.plan, includeBots: query.includeBots, report: "paths") : nil
        let resolved = PathsCalculator.resolved(query, lastEvent: lastEvent)
        let rows = try await rows(PathsSQL(query: resolved, macro: macro, schema: schema).text, report: "paths")
        var aggregates = PathsAggregates()
        let n = query.plan.conversions.count
        for row in rows {
            guard row.count == 4, case .array(let path) = row[0], let truncated = row[1].number, let persons = row[2].number.map(Int.init),
                  let converters = row[3].number.map(Int.init)
            else { throw ClickHouseError.malformed("paths row \(row)") }
            let steps = path.compactMap { $0.number.map(Int.init) }
            guard steps.count == path.count, steps.allSatisfy({ $0 >= 0 && $0 < n }) else { throw ClickHouseError.malformed("paths row \(row)") }
            aggregates.paths.append(.init(steps: steps, truncated: truncated != 0, persons: persons, converters: converters))
        }
        return try aggregates.report(resolved)
    }

    /// The site's last event among the persons a report keeps (bots left out unless asked);
    /// nil when there is none. Reports whose window ends there ask for it first.
    func lastEvent(site: String, plan: TrackingPlan, includeBots: Bool, report: String) async throws -> Int64? {
        let base = PersonEventsSQL(schema: schema, site: site, extras: [], sessionTimeoutMillis: plan.sessionTimeoutMillis, includeBots: includeBots)
        let rows = try await rows("SELECT count(), max(ts[length(ts)]) FROM (\n\(base.text)\n)", report: report)
        guard rows.count == 1, rows[0].count == 2, let persons = rows[0][0].number, let last = rows[0][1].number else {
            throw ClickHouseError.malformed("last event row \(rows)")
        }
        return persons > 0 ? Int64(last) : nil
    }

    public func volumes(site: String, plan: TrackingPlan, interval: VolumeReport.Interval, from: Int64, to: Int64, segment: Segment?) async throws -> VolumeReport {
        let layout = try VolumeReader.layout(plan: plan, interval: interval, from: from, to: to, segment: segment)
        // A site with no events at all lists no series, as on the embedded store.
        let stored = try await rows("SELECT count() FROM \(schema.eventsTable) WHERE site = \(SQL.quote(site))", report: "volumes")
        guard let count = stored.first?.first?.number else { throw ClickHouseError.malformed("volumes count \(stored)") }
        guard count > 0 else { return VolumeReader.report(site: site, layout: layout, definitions: [], definitionCounts: [:], eventCounts: [:], segment: segment) }
        let rows = try await rows(VolumesSQL(site: site, plan: plan, layout: layout, schema: schema).text, report: "volumes")
        let watched = HealthQuery.watchedDefinitions(of: plan)
        var definitions: [Int: [Int]] = [:], events: [String: [Int]] = [:]
        let empty = [Int](repeating: 0, count: layout.starts.count)
        for row in rows {
            guard row.count == 3, let series = row[0].string, let bucket = row[1].number.map(Int64.init), let count = row[2].number.map(Int.init)
            else { throw ClickHouseError.malformed("volumes row \(row)") }
            let index: Int?
            switch layout.interval {
            case .hour: index = layout.bucket(hourStart: bucket * VolumeIndex.hourMillis)
            case .day: index = layout.starts.firstIndex { layout.calendar.day(of: $0) == bucket }
            }
            guard let index else { continue }
            if series.hasPrefix("e:") {
                events[String(series.dropFirst(2)), default: empty][index] += count
            } else if series.hasPrefix("d:"), let k = Int(series.dropFirst(2)), k < watched.count {
                definitions[k, default: empty][index] += count
            } else {
                throw ClickHouseError.malformed("volumes row \(row)")
            }
        }
        return VolumeReader.report(site: site, layout: layout, definitions: watched.map(\.name), definitionCounts: definitions,
                                   eventCounts: events, segment: segment)
    }

    /// A `sumMap` result, `[[keys], [sums]]`.
    static func map(_ value: JSONValue) -> [Int64: Int]? {
        guard case .array(let parts) = value, parts.count == 2, case .array(let keys) = parts[0], case .array(let sums) = parts[1],
              keys.count == sums.count else { return nil }
        var out: [Int64: Int] = [:]
        for (key, sum) in zip(keys, sums) {
            guard let key = key.number, let sum = sum.number else { return nil }
            out[Int64(key), default: 0] += Int(sum)
        }
        return out
    }

    /// A sample count and the values at its quantile ranks.
    static func orderStatistics(_ count: JSONValue, _ values: JSONValue) -> OrderStatistics? {
        guard let count = count.number, case .array(let values) = values else { return nil }
        return .init(count: Int(count), values: values.compactMap { $0.number.map(Int64.init) })
    }
}

extension ClickHouseBackend {
    public func attribution(_ query: AttributionQuery) async throws -> AttributionReport {
        let (macro, micros) = try AttributionCalculator.definitions(of: query)
        let sql = AttributionSQL(query: query, macro: macro, micros: micros, schema: schema)
        let models = query.models.count
        var aggregates = AttributionAggregates(channels: Channel.allCases.count)
        func source(_ row: [JSONValue]) throws -> AttributionAggregates.Source {
            guard let channel = row[0].number, channel >= 0, channel < 256, let campaign = row[1].string else {
                throw ClickHouseError.malformed("attribution row \(row)")
            }
            return .init(channel: UInt8(channel), campaign: campaign)
        }
        let empty = AttributionAggregates.Totals(models: models, micros: micros.count)
        for row in try await rows(sql.persons, report: "attribution") {
            guard row.count == 6 + micros.count, let value = row[4].number else { throw ClickHouseError.malformed("attribution row \(row)") }
            var totals = empty
            totals.persons = try Self.count(row[2], "persons")
            totals.macroPersons = try Self.count(row[3], "macro persons")
            totals.macroValue = value
            totals.microPersons = try row[6...].map { try Self.count($0, "micro persons") }
            aggregates.sources[try source(row)] = totals
            aggregates.conversions += try Self.count(row[5], "conversions")
            aggregates.value += value
        }
        for row in try await rows(sql.credits, report: "attribution") {
            guard row.count == 4 + 2 * models else { throw ClickHouseError.malformed("attribution row \(row)") }
            let key = try source(row)
            var totals = aggregates.sources[key] ?? empty
            for m in 0..<models {
                guard let credit = row[2 + 2 * m].number, let revenue = row[3 + 2 * m].number else { throw ClickHouseError.malformed("attribution row \(row)") }
                totals.credit[m] = credit
                totals.revenue[m] = revenue
            }
            totals.assisted = try Self.count(row[2 + 2 * models], "assisted")
            guard Int(key.channel) < aggregates.channelAssisted.count else { throw ClickHouseError.malformed("attribution channel \(key.channel)") }
            aggregates.channelAssisted[Int(key.channel)] += try Self.count(row[3 + 2 * models], "assisted")
            aggregates.sources[key] = totals
        }
        return AttributionCalculator.report(query, micros: micros.map { query.plan.conversions[$0].name }, aggregates: aggregates)
    }
}
