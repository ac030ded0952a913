import StepwiseCore
import StepwisePlan

/// Computes an `AttributionReport` in one pass over the site's persons.
///
/// A conversion's touchpoints are the person's sessions that started within the lookback
/// before it, and always the session it happened in; each model shares one credit among
/// them. Sessions before the range still count as touchpoints, as in GA4: the range selects
/// conversions, not the history that led to them.
public enum AttributionCalculator {
    public static func compute(_ query: AttributionQuery, in table: EventTable) throws(PredictQuery.Invalid) -> AttributionReport {
        let plan = query.plan
        let (macro, micros) = try definitions(of: query)
        let g = Int32(macro)
        let microSlot = (0..<plan.conversions.count).map { micros.firstIndex(of: $0) ?? -1 }
        let models = query.models, lookback = query.lookbackMillis
        let lastNonDirect = AttributionModel.lastNonDirect

        let context = ScanContext(table: table, plan: plan, from: query.from, to: query.to, includeBots: query.includeBots,
                                  segments: query.segments)
        let partials = context.mapPersons(site: query.site, collectsSessions: true, { Tally(models: models.count, micros: micros.count) }) {
            tally, person in
            let sessions = person.sessions
            // Channel quality: the person belongs to the source of their first session in the range.
            let arrival = tally.slot(of: sessions[Self.session(containing: person.firstActive, in: sessions)].event, in: table)
            tally.persons[arrival] += 1
            tally.serial += 1
            var converted = false, value = 0.0
            var s = 0
            for match in person.matches {
                let m = microSlot[Int(match.definition)]
                if m >= 0, tally.microSeen[m] != tally.serial {
                    tally.microSeen[m] = tally.serial
                    tally.microPersons[arrival * micros.count + m] += 1
                }
                guard match.definition == g else { continue }
                converted = true
                guard match.counted else { continue }
                value += match.value

                // Touchpoints: sessions k0 ... s.
                while s + 1 < sessions.count, sessions[s + 1].time <= match.time { s += 1 }
                var k0 = s
                while k0 > 0, sessions[k0 - 1].time >= match.time - lookback { k0 -= 1 }
                let touches = (k0...s).map { (start: sessions[$0].time, slot: tally.slot(of: sessions[$0].event, in: table)) }
                let starts = touches.map(\.start)
                let direct = touches.map { tally.sources[$0.slot].isDirect }
                for (index, model) in models.enumerated() {
                    for (k, weight) in model.weights(starts: starts, direct: direct, conversion: match.time).enumerated() where weight > 0 {
                        tally.credit[touches[k].slot * models.count + index] += weight
                        tally.revenue[touches[k].slot * models.count + index] += weight * match.value
                    }
                }
                let last = lastNonDirect.weights(starts: starts, direct: direct, conversion: match.time).firstIndex(of: 1)!
                var assistedSlots = Set<Int>(), assistedChannels = Set<UInt8>()
                for (k, touch) in touches.enumerated() where k != last {
                    assistedSlots.insert(touch.slot)
                    assistedChannels.insert(tally.sources[touch.slot].channel)
                }
                for slot in assistedSlots { tally.assisted[slot] += 1 }
                for channel in assistedChannels { tally.channelAssisted[Int(channel)] += 1 }
                tally.conversions += 1
                tally.value += match.value
            }
            if converted {
                tally.macroPersons[arrival] += 1
                tally.macroValue[arrival] += value
            }
        }
        var aggregates = AttributionAggregates(channels: Channel.allCases.count)
        for tally in partials {
            for (slot, source) in tally.sources.enumerated() {
                let key = AttributionAggregates.Source(channel: source.channel, campaign: source.campaign)
                var totals = aggregates.sources[key] ?? .init(models: models.count, micros: micros.count)
                for m in 0..<models.count {
                    totals.credit[m] += tally.credit[slot * models.count + m]
                    totals.revenue[m] += tally.revenue[slot * models.count + m]
                }
                totals.assisted += tally.assisted[slot]
                totals.persons += tally.persons[slot]
                for k in 0..<micros.count { totals.microPersons[k] += tally.microPersons[slot * micros.count + k] }
                totals.macroPersons += tally.macroPersons[slot]
                totals.macroValue += tally.macroValue[slot]
                aggregates.sources[key] = totals
            }
            for c in aggregates.channelAssisted.indices { aggregates.channelAssisted[c] += tally.channelAssisted[c] }
            aggregates.conversions += tally.conversions
            aggregates.value += tally.value
        }
        return report(query, micros: micros.map { plan.conversions[$0].name }, aggregates: aggregates)
    }

    /// The macro's index and the micros credited alongside it (every micro but the macro), in plan order.
    public static func definitions(of query: AttributionQuery) throws(PredictQuery.Invalid) -> (macro: Int, micros: [Int]) {
        let plan = query.plan
        let macro = try AttributionQuery.macro(query.macro, in: plan)
        let g = plan.conversions.firstIndex { $0.name == macro }!
        guard !query.models.isEmpty else { throw PredictQuery.Invalid(field: "model", reason: "name at least one model") }
        return (g, plan.conversions.indices.filter { plan.conversions[$0].kind == .micro && $0 != g })
    }

    /// The index of the session holding time `t`: the last that started at or before it.
    static func session(containing t: Int64, in sessions: UnsafeBufferPointer<SessionStart>) -> Int {
        var low = 0, high = sessions.count
        while low < high {
            let mid = (low + high) / 2
            if sessions[mid].time <= t { low = mid + 1 } else { high = mid }
        }
        return max(low - 1, 0)
    }

    /// One worker's sums, per source slot (channel and campaign).
    struct Tally: Sendable {
        let models: Int
        let micros: Int
        var resolver = SessionSource.Resolver()
        var slots: [SessionSource: Int] = [:]
        var sources: [SessionSource] = []
        var credit: [Double] = []
        var revenue: [Double] = []
        var assisted: [Int] = []
        var channelAssisted = [Int](repeating: 0, count: Channel.allCases.count)
        var persons: [Int] = []
        var microPersons: [Int] = []
        var microSeen: [Int]
        var serial = 0
        var macroPersons: [Int] = []
        var macroValue: [Double] = []
        var conversions = 0
        var value = 0.0

        init(models: Int, micros: Int) {
            self.models = models
            self.micros = micros
            microSeen = [Int](repeating: 0, count: micros)
        }

        mutating func slot(of event: UInt32, in table: EventTable) -> Int {
            let source = resolver.source(ofEvent: Int(event), in: table)
            if let slot = slots[source] { return slot }
            let slot = sources.count
            slots[source] = slot
            sources.append(source)
            credit += [Double](repeating: 0, count: models)
            revenue += [Double](repeating: 0, count: models)
            assisted.append(0)
            persons.append(0)
            microPersons += [Int](repeating: 0, count: micros)
            macroPersons.append(0)
            macroValue.append(0)
            return slot
        }
    }

    /// Sums of one channel or campaign, with the spend in the range.
    private struct Totals {
        var sums: AttributionAggregates.Totals
        var cost: Double?

        init(models: Int, micros: Int) { sums = .init(models: models, micros: micros) }

        mutating func add(_ other: AttributionAggregates.Totals) {
            for m in sums.credit.indices {
                sums.credit[m] += other.credit[m]
                sums.revenue[m] += other.revenue[m]
            }
            sums.persons += other.persons
            for k in sums.microPersons.indices { sums.microPersons[k] += other.microPersons[k] }
            sums.macroPersons += other.macroPersons
            sums.macroValue += other.macroValue
        }
    }

    private struct RowKey: Hashable, Comparable {
        var channel: String
        var campaign: String?
        static func < (a: RowKey, b: RowKey) -> Bool { (a.channel, a.campaign ?? "") < (b.channel, b.campaign ?? "") }
    }

    /// The report from what a store summed; `micros` are the names of the micros credited.
    public static func report(_ query: AttributionQuery, micros: [String], aggregates: AttributionAggregates) -> AttributionReport {
        let models = query.models
        var channels: [RowKey: Totals] = [:], campaigns: [RowKey: Totals] = [:]
        let empty = Totals(models: models.count, micros: micros.count)
        // In a fixed order, so the doubles add up alike however the store handed them over.
        for (source, totals) in aggregates.sources.sorted(by: { ($0.key.channel, $0.key.campaign) < ($1.key.channel, $1.key.campaign) }) {
            let name = SessionSource(channel: source.channel, campaign: source.campaign).channelName
            channels[RowKey(channel: name), default: empty].add(totals)
            if !source.campaign.isEmpty {
                let key = RowKey(channel: name, campaign: source.campaign)
                campaigns[key, default: empty].add(totals)
                campaigns[key]!.sums.assisted += totals.assisted
            }
        }
        for channel in Channel.allCases where channels[RowKey(channel: channel.description)] != nil {
            channels[RowKey(channel: channel.description)]!.sums.assisted = aggregates.channelAssisted[Int(channel.rawValue)]
        }

        // Spend inside the range, on the site's calendar days.
        let calendar = query.plan.calendar
        let firstDay = query.from.map { calendar.day(of: $0) }, lastDay = query.to.map { calendar.day(of: $0 - 1) }
        let spend = query.spend.filter { row in
            let day = row.day
            return firstDay.map { day >= $0 } ?? true && lastDay.map { day <= $0 } ?? true
        }
        for row in spend {
            channels[RowKey(channel: row.channel), default: empty].cost = (channels[RowKey(channel: row.channel)]?.cost ?? 0) + row.cost
            if !row.campaign.isEmpty {
                let key = RowKey(channel: row.channel, campaign: row.campaign)
                campaigns[key, default: empty].cost = (campaigns[key]?.cost ?? 0) + row.cost
            }
        }

        let rank = models.firstIndex(of: .lastNonDirect) ?? 0
        func ordered(_ rows: [RowKey: Totals]) -> [(RowKey, Totals)] {
            rows.sorted { a, b in
                if a.value.sums.credit[rank] != b.value.sums.credit[rank] { return a.value.sums.credit[rank] > b.value.sums.credit[rank] }
                if a.value.sums.persons != b.value.sums.persons { return a.value.sums.persons > b.value.sums.persons }
                return a.key < b.key
            }
        }
        func credit(_ values: [Double]) -> ModelCredit {
            var credit = ModelCredit()
            for (m, model) in models.enumerated() { credit[model] = values[m] }
            return credit
        }
        func perUnit(_ cost: Double?, _ count: Double) -> Double? {
            guard let cost, count > 0 else { return nil }
            return cost / count
        }
        func attribution(_ key: RowKey, _ row: Totals) -> AttributionRow {
            let totals = row.sums
            return AttributionRow(
                channel: key.channel, campaign: key.campaign, credit: credit(totals.credit), revenue: credit(totals.revenue),
                assisted: totals.assisted, cost: row.cost,
                costPerConversion: row.cost.map { _ in
                    var perConversion = ModelCredit()
                    for (m, model) in models.enumerated() { perConversion[model] = perUnit(row.cost, totals.credit[m]) }
                    return perConversion
                })
        }
        func quality(_ key: RowKey, _ row: Totals) -> ChannelQuality {
            let totals = row.sums
            return ChannelQuality(
                channel: key.channel, campaign: key.campaign, persons: totals.persons,
                micros: micros.enumerated().map { k, name in
                    MicroProgress(name: name, rate: Rate(totals.microPersons[k], of: totals.persons, kind: .persons),
                                  costPerPerson: perUnit(row.cost, Double(totals.microPersons[k])))
                },
                macroRate: Rate(totals.macroPersons, of: totals.persons, kind: .persons),
                revenuePerPerson: totals.persons > 0 ? totals.macroValue / Double(totals.persons) : nil,
                cost: row.cost, costPerPerson: perUnit(row.cost, Double(totals.persons)),
                costPerMacro: perUnit(row.cost, Double(totals.macroPersons)))
        }
        let channelRows = ordered(channels), campaignRows = ordered(campaigns)
        return AttributionReport(
            site: query.site, macro: query.macro, from: query.from.map(Timestamp.formatRFC3339), to: query.to.map(Timestamp.formatRFC3339),
            lookback: PlanDuration.text(millis: query.lookbackMillis), models: models,
            segments: query.segments.map(\.description), includeBots: query.includeBots,
            conversions: aggregates.conversions, revenue: aggregates.value,
            currency: spend.first?.currency ?? query.plan.currency,
            channels: channelRows.map(attribution), campaigns: campaignRows.map(attribution),
            quality: channelRows.map(quality), campaignQuality: campaignRows.map(quality),
            method: "Touchpoints are the converter's sessions that started within \(PlanDuration.text(millis: query.lookbackMillis)) "
                + "before each conversion, and the session it happened in; each session's channel comes from its first event. "
                + "Each model shares one credit per conversion: first; last non-direct (direct never takes credit from an earlier "
                + "channel); linear; time decay (weight halves every 7 days before the conversion); position (40 % first, 40 % last, "
                + "20 % shared by the middle). Channel quality groups persons by the channel of their first session in the range.")
    }
}
