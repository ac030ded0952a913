import StepwiseEngine
import StepwisePlan

/// A funnel as one ClickHouse query: per person (or session) the best attempt, computed
/// with arrays in SQL, then counted by level, breakdown value and entry day, with the
/// seconds between steps as a histogram. `FunnelAggregates` turns the rows into the report.
///
/// The walk is the engine's (`FunnelScan`): hits in canonical tie order; every entry event
/// opens an attempt; an ordered attempt advances on the first later hit of its next step
/// inside the window, a strict one only on the very next hit; an exclusion hit voids an
/// attempt strictly after step `from` and before step `to` is reached; in any order, a window
/// opened by any step event counts the distinct steps in it. The best attempt per unit is the
/// first with the highest level among those not voided.
struct FunnelSQL {
    var query: FunnelQuery
    var schema: ClickHouseSchema

    /// Tuple elements after the four of `PersonEventsSQL`.
    private enum Element: Int { case steps = 5, exclusions, keep, sessionKept, breakdown }

    var text: String {
        let n = query.steps.count
        let window = query.windowMillis
        let strict = query.order == .strict
        let base = PersonEventsSQL(schema: schema, site: query.site, extras: extras, sessionTimeoutMillis: query.sessionTimeoutMillis,
                                   includeBots: query.includeBots)
        func element(_ e: Element, _ i: String) -> String { "tupleElement(ev[\(i)], \(e.rawValue))" }
        let unit = query.unit == .session ? "sess[i]" : "toUInt32(0)"
        let keptHit = "\(element(.keep, "i")) = 1 AND \(element(.sessionKept, "sess_first[i]")) = 1" + SegmentSQL(from: nil, to: nil, segments: query.segments).visitorType(session: "sess[i]")
        let isHit = strict ? keptHit : "\(keptHit) AND (\(element(.steps, "i")) != 0 OR \(element(.exclusions, "i")) != 0)"
        let lowestStep = "if(\(element(.steps, "i")) = 0, 18446744073709551615, bitAnd(\(element(.steps, "i")), bitNot(\(element(.steps, "i"))) + 1))"
        var lines: [String] = [
            "arraySort(i -> (ts[i], \(lowestStep), \(element(.steps, "i")), \(element(.exclusions, "i")), i), arrayFilter(i -> \(isHit), idx)) AS hits",
            "arrayMap(i -> ts[i], hits) AS ht",
            "arrayMap(i -> \(element(.steps, "i")), hits) AS hs",
            "arrayMap(i -> \(element(.exclusions, "i")), hits) AS hx",
            "arrayMap(i -> \(unit), hits) AS hu",
            "arrayEnumerate(hits) AS hp",
        ]
        let chain = (2...n).map { "c\($0)" }
        let chainArrays = (2...n).map { "at\($0)" }.joined(separator: ", ")
        if query.order == .any {
            lines += [
                "arrayFilter(p -> hs[p] != 0, hp) AS entries",
                "arrayMap(o -> arrayReduce('groupBitOr', arrayFilter((s, t, u, p) -> p >= o AND t - ht[o] <= \(window) AND u = hu[o], hs, ht, hu, hp)), entries) AS masks",
                "arrayMap(m -> arraySum(arrayMap(k -> bitTest(m, k), range(\(n)))), masks) AS levels",
                "arrayMap(e -> 0, entries) AS voided",
            ]
        } else {
            lines.append("arrayFilter(p -> bitTest(hs[p], 0), hp) AS entries")
            for k in 1..<n {
                let previous = k == 1 ? "entries" : "at\(k)"
                let next = strict
                    ? "if(c = 0 OR c + 1 > length(hp), 0, if(bitTest(hs[c + 1], \(k)) AND ht[c + 1] - ht[e] <= \(window) AND hu[c + 1] = hu[e], c + 1, 0))"
                    : "if(c = 0, 0, arrayFirstIndex((s, t, u, p) -> p > c AND bitTest(s, \(k)) AND t - ht[e] <= \(window) AND u = hu[e], hs, ht, hu, hp))"
                lines.append("arrayMap((e, c) -> \(next), entries, \(previous)) AS at\(k + 1)")
            }
            lines.append("arrayMap((\(chain.joined(separator: ", "))) -> 1 + \(chain.map { "(\($0) != 0)" }.joined(separator: " + ")), \(chainArrays)) AS levels")
            lines.append("arrayMap((e, \(chain.joined(separator: ", "))) -> \(voided(chain: chain, strict: strict)), entries, \(chainArrays)) AS voided")
            lines.append("arrayMap((e, \(chain.joined(separator: ", "))) -> [ht[e], \(chain.map { "ht[\($0)]" }.joined(separator: ", "))], entries, \(chainArrays)) AS times")
        }
        lines += [
            "arrayDistinct(arrayMap(e -> hu[e], entries)) AS units",
            "arrayMap(u -> arrayReduce('max', arrayFilter((l, v, e) -> v = 0 AND hu[e] = u, levels, voided, entries)), units) AS unit_levels",
            "arrayFilter(b -> b != 0, arrayMap((u, m) -> arrayFirstIndex((l, v, e) -> v = 0 AND hu[e] = u AND l = m, levels, voided, entries), units, unit_levels)) AS best",
        ]
        let gaps = query.order == .any
            ? "emptyArrayInt64()"
            : "arrayMap(j -> intDiv(times[b][j + 2] - times[b][j + 1], 1000), range(toUInt64(levels[b] - 1)))"
        lines.append("arrayMap(b -> (levels[b], \(breakdownValue("hits[entries[b]]")), \(SQL.localDay("ht[entries[b]]", query.calendar)), \(gaps)), best) AS results")
        return """
            SELECT
                tupleElement(g, 1) AS step,
                if(step = 0, level, 0) AS reached,
                if(step = 0, value, '') AS breakdown,
                if(step = 0, entry_day, 0) AS day,
                tupleElement(g, 2) AS seconds,
                count() AS units
            FROM (
                SELECT
                    tupleElement(r, 1) AS level,
                    tupleElement(r, 2) AS value,
                    tupleElement(r, 3) AS entry_day,
                    tupleElement(r, 4) AS gaps
                FROM (
                    SELECT
            \(lines.map { "            " + $0 }.joined(separator: ",\n"))
                    FROM (
            \(base.text.indented(12))
                    )
                    WHERE \(PersonEventsSQL.keepsColumns(["ev", "ts", "sess", "sess_first"]))
                )
                ARRAY JOIN results AS r
            )
            ARRAY JOIN arrayConcat([(toUInt64(0), toInt64(0))], arrayMap((s, k) -> (toUInt64(k), s), gaps, arrayEnumerate(gaps))) AS g
            GROUP BY step, reached, breakdown, day, seconds
            ORDER BY step, reached, breakdown, day, seconds
            """
    }

    /// Per row: which steps and exclusions it matches (bit sets), whether its event-scoped
    /// segments and the date range keep it, whether its session-scoped segments would keep a
    /// session it opens, and its raw breakdown value.
    private var extras: [String] {
        let segments = SegmentSQL(from: query.from, to: query.to, segments: query.segments)
        return [MatcherSQL.mask(query.steps.map(\.matcher)), MatcherSQL.mask(query.exclusions.map(\.matcher)), segments.eventKept, segments.sessionKept, rawBreakdown]
    }

    /// The breakdown's raw value on one row: a code for the enumerated dimensions, text otherwise.
    private var rawBreakdown: String {
        switch query.breakdown {
        case nil, .visitorType?: "''"
        case .channel?: "toString(channel)"
        case .device?: "toString(device)"
        case .browser?: "toString(browser)"
        case .os?: "toString(os)"
        case .region?: "region"
        case .landingPage?: "path"
        case .prop(let key)?: "if(\(MatcherSQL.kind(key)) IN (1, 2, 3), \(MatcherSQL.text(key)), '(none)')"
        }
    }

    /// The breakdown value of an attempt entered at event `i`: session-scoped dimensions come
    /// from the session's first event.
    private func breakdownValue(_ i: String) -> String {
        switch query.breakdown {
        case nil: "''"
        case .visitorType?: "if(sess[\(i)] = 1, 'new', 'returning')"
        case .channel?, .landingPage?: "tupleElement(ev[sess_first[\(i)]], \(Element.breakdown.rawValue))"
        default: "tupleElement(ev[\(i)], \(Element.breakdown.rawValue))"
        }
    }

    /// Whether an attempt entered at hit `e` with chain `c2…cn` is voided by an exclusion hit.
    private func voided(chain: [String], strict: Bool) -> String {
        if query.exclusions.isEmpty { return "0" }
        let window = query.windowMillis
        // The attempt's level when hit j arrives: the entry plus the chain hits before j.
        let level = "(1 + " + chain.map { "(\($0) != 0 AND \($0) < j)" }.joined(separator: " + ") + ")"
        let positions = ["e"] + chain
        // A strict attempt is open up to the hit right after its last step.
        let open = strict ? " AND j <= " + positions.dropFirst().reduce("e") { "if(\($1) != 0, \($1), \($0))" } + " + 1" : ""
        let conditions = query.exclusions.enumerated().map { x, exclusion in
            "(bitTest(m, \(x)) AND \(level) > \(exclusion.from) AND \(level) <= \(exclusion.to) AND t > ht[\(positions[exclusion.from])])"
        }
        return "arrayExists((m, t, u, j) -> j > e AND u = hu[e] AND t - ht[e] <= \(window)\(open) AND (\(conditions.joined(separator: " OR "))), hx, ht, hu, hp)"
    }
}

extension String {
    func indented(_ spaces: Int) -> String {
        let pad = String(repeating: " ", count: spaces)
        return split(separator: "\n", omittingEmptySubsequences: false).map { $0.isEmpty ? "" : pad + $0 }.joined(separator: "\n")
    }
}
