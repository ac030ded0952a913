import StepwiseCore
import StepwiseEngine
import StepwisePlan

/// The lead reports: engagement scores and audiences, both ranked warmest first with ties by
/// label (`u:USER`, `v:VISITOR`), as the embedded engine ranks them (`PersonRanking`).
extension ClickHouseBackend {
    public func score(_ query: ScoreQuery) async throws -> EngagementScoreReport {
        let lastEvent = query.to == nil ? try await lastEvent(site: query.site, plan: query.plan, includeBots: query.includeBots, report: "score") : nil
        let asOf = query.to ?? lastEvent.map { $0 + 1 } ?? 0
        let macro = try EngagementScoreCalculator.macro(of: query)
        let weights = query.learned
            ? ScoreWeights(plan: query.plan, learnedFrom: try await predict(try query.learning(asOf: asOf)), halfLifeMillis: query.halfLifeMillis)
            : ScoreWeights(plan: query.plan, halfLifeMillis: query.halfLifeMillis)
        let cutoff = query.cutoff ?? asOf - ScoreQuery.defaultCutoffMillis
        let sql = ScoreSQL(query: query, asOf: asOf, cutoff: cutoff, macro: macro?.index, weights: weights, schema: schema)
        let summary = try await rows(sql.summary, report: "score")
        guard summary.count == 1, summary[0].count == 11 else { throw ClickHouseError.malformed("score summary \(summary)") }
        let row = summary[0]
        var aggregates = ScoreAggregates()
        guard let persons = row[0].number, let scored = row[1].number, let warmFrom = row[2].number, let hotFrom = row[3].number,
              let atLeastWarm = row[4].number, let atLeastHot = row[5].number, let highest = row[6].number, case .array(let bins) = row[7],
              let ranked = row[8].number, let converted = row[9].number, let wins = row[10].number
        else { throw ClickHouseError.malformed("score summary \(row)") }
        aggregates.persons = Int(persons)
        aggregates.scored = Int(scored)
        if scored > 0 {
            (aggregates.warmFrom, aggregates.hotFrom, aggregates.highest) = (warmFrom, hotFrom, highest)
            (aggregates.atLeastWarm, aggregates.atLeastHot) = (Int(atLeastWarm), Int(atLeastHot))
            aggregates.bins = try bins.map { try Self.count($0, "score bin") }
        }
        aggregates.rankedPersons = Int(ranked)
        aggregates.rankedConverted = Int(converted)
        // `RankAUC`: wins over (positives × negatives), nil without both.
        let negatives = ranked - converted
        aggregates.auc = converted > 0 && negatives > 0 ? wins / (converted * negatives) : nil
        if query.top > 0 {
            let micros = query.plan.conversions.filter { $0.kind == .micro }.map(\.name)
            for row in try await rows(sql.top(query.top), report: "score") {
                guard row.count == 4, let label = row[0].string, let score = row[1].number, let last = row[2].number,
                      case .array(let completions) = row[3], completions.count == micros.count
                else { throw ClickHouseError.malformed("score top row \(row)") }
                let (person, user) = Self.person(label)
                let counts = try zip(micros, completions).compactMap { name, n -> MicroCount? in
                    let n = try Self.count(n, "micro completions")
                    return n > 0 ? MicroCount(name: name, completions: n) : nil
                }
                aggregates.top.append(ScoredPerson(person: person, user: user, score: score, lastActivity: Timestamp.formatRFC3339(Int64(last)),
                                                   micros: counts))
            }
        }
        return EngagementScoreCalculator.report(query, asOf: asOf, cutoff: cutoff, macro: macro?.name, weights: weights, aggregates: aggregates)
    }

    /// A person column value, `u:USER` or `v:VISITOR`, as the report names them.
    static func person(_ label: String) -> (person: String, user: String?) {
        let id = String(label.dropFirst(2))
        return label.hasPrefix("u:") ? (id, id) : (id, nil)
    }

    /// A person known by their label only, without click ids.
    static func identity(_ label: String) -> PersonIdentity {
        let (person, user) = person(label)
        return PersonIdentity(person: person, user: user, clickIds: [:])
    }

    /// A count from a JSON row.
    static func count(_ value: JSONValue, _ what: String) throws -> Int {
        guard let n = value.number, n >= 0, n == n.rounded() else { throw ClickHouseError.malformed("\(what) \(value)") }
        return Int(n)
    }

    public func audiences(_ query: AudienceQuery, names: [String]?, limit: Int?) async throws -> [AudienceMembersReport] {
        let audiences = try AudienceCalculator.chosen(names, in: query.plan)
        let lastEvent = query.asOf == nil ? try await lastEvent(site: query.site, plan: query.plan, includeBots: query.includeBots, report: "audience") : nil
        let asOf = query.asOf ?? lastEvent.map { $0 + 1 } ?? 0
        var reports: [AudienceMembersReport?] = Array(repeating: nil, count: audiences.count)
        // One query per distinct set of segments, as the engine scans once per set.
        var groups: [[String]: [Int]] = [:]
        for (r, audience) in audiences.enumerated() { groups[audience.segments.map(\.description).sorted(), default: []].append(r) }
        for members in groups.values {
            let sql = AudienceSQL(query: query, asOf: asOf, audiences: members.map { audiences[$0] }, schema: schema)
            let sizes = try await rows(sql.sizes, report: "audience")
            guard sizes.count == 1, sizes[0].count == members.count else { throw ClickHouseError.malformed("audience sizes \(sizes)") }
            for (k, r) in members.enumerated() {
                var listed: [AudienceMember] = [], labels: [String] = []
                if limit.map({ $0 > 0 }) ?? true {
                    for row in try await rows(sql.members(k, limit: limit), report: "audience") {
                        guard row.count == 3, let label = row[0].string, let score = row[1].number, let last = row[2].number
                        else { throw ClickHouseError.malformed("audience member \(row)") }
                        let (person, user) = Self.person(label)
                        labels.append(label)
                        listed.append(AudienceMember(person: person, user: user, score: score, lastActivity: Timestamp.formatRFC3339(Int64(last)),
                                                     clickIds: [:], key: 0))
                    }
                    let identities = try await identities(site: query.site, labels: labels)
                    for m in listed.indices { listed[m].clickIds = identities[labels[m]]?.clickIds ?? [:] }
                }
                reports[r] = AudienceMembersReport(
                    site: query.site, audience: audiences[r].name, rule: AudienceCalculator.describe(audiences[r]),
                    asOf: Timestamp.formatRFC3339(asOf), size: try Self.count(sizes[0][k], "audience size"), members: listed)
            }
        }
        return reports.compactMap { $0 }
    }

    /// Who the persons are (`u:USER` or `v:VISITOR`), with the ad click ids seen on their
    /// events, oldest first, as the embedded store's directory answers.
    func identities(site: String, labels: [String]) async throws -> [String: PersonIdentity] {
        var out: [String: PersonIdentity] = [:]
        for label in labels { out[label] = Self.identity(label) }
        let base = PersonEventsSQL(schema: schema, site: site, extras: [], sessionTimeoutMillis: 0, includeBots: true)
        for start in stride(from: 0, to: labels.count, by: 1_000) {
            let chunk = labels[start..<min(labels.count, start + 1_000)]
            let sql = """
                SELECT person, click_ids, timestamp, user_agent
                FROM (
                \(base.rows(["click_ids", "timestamp", "seq", "user_agent"], where: "click_ids != ''").indented(4))
                )
                WHERE person IN (\(chunk.map(SQL.quote).joined(separator: ", ")))
                ORDER BY timestamp, seq
                """
            for row in try await rows(sql, report: "person ids") {
                guard row.count == 4, let person = row[0].string, let json = row[1].string, let time = row[2].number, let agent = row[3].string
                else { throw ClickHouseError.malformed("click ids \(row)") }
                guard case .object(let object)? = try? JSONParser.parse(json) else { continue }
                for (kind, value) in zip(object.keys, object.values) {
                    guard case .string(let id) = value else { continue }
                    out[person]?.clickIds[kind] = id
                    out[person]?.clicks.append(SeenClick(kind: kind, value: id, time: Int64(time), userAgent: agent.isEmpty ? nil : agent))
                }
            }
        }
        return out
    }

    public func adsExport(_ query: AdsExportQuery) async throws -> AdsExport {
        let d = try AdsExporter.definition(of: query)
        let rates = RatesSQL(query: RatesQuery(site: query.site, plan: query.plan, from: query.from, to: query.to, includeBots: query.includeBots),
                             schema: schema, more: ["url", "props"])
        var lines = ["person"] + rates.personLines + rates.matchLines(d, query.plan.conversions[d])
        let value = rates.valueSlots[d].map { "tupleElement(ev, \($0))" }
        lines += [
            "arrayFilter((t, c) -> c = 1, ts, c\(d)) AS conversion_at",
            "arrayFilter((v, c) -> c = 1, \(value ?? "arrayMap(t -> toFloat64(0), ts)"), c\(d)) AS conversion_value",
            "arrayFilter((u, c) -> c = 1, tupleElement(ev, \(rates.moreElement(0))), c\(d)) AS conversion_url",
            "arrayFilter((p, c) -> c = 1, tupleElement(ev, \(rates.moreElement(1))), c\(d)) AS conversion_props",
        ]
        let sql = """
            SELECT person, at, value, url, props
            FROM (
            \(rates.perPerson(lines).indented(4))
            )
            ARRAY JOIN conversion_at AS at, conversion_value AS value, conversion_url AS url, conversion_props AS props
            ORDER BY at, person
            """
        var found: [(label: String, time: Int64, value: Double, url: String, props: String)] = []
        for row in try await rows(sql, report: "ads export") {
            guard row.count == 5, let label = row[0].string, let time = row[1].number, let amount = row[2].number, let url = row[3].string,
                  let props = row[4].string
            else { throw ClickHouseError.malformed("ads export row \(row)") }
            found.append((label, Int64(time), amount, url, props))
        }
        let identities = try await identities(site: query.site, labels: Array(Set(found.map(\.label))).sorted())
        let conversions = found.map { c in
            // `identities` names every label it is given; the fallback is the label's own ids.
            AdsConversion(label: c.label, identity: identities[c.label] ?? Self.identity(c.label), time: c.time, value: value == nil ? nil : c.value,
                          url: c.url.isEmpty ? nil : c.url, props: c.props)
        }
        return AdsExporter.render(query, conversions)
    }
}
