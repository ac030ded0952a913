import StepwiseEngine
import StepwisePlan

/// Micro paths as one ClickHouse query: per person with an event the window and segments
/// keep, their matches of the micros and the macro (the rates masks) in the engine's order
/// (event, then definition), cut at the first macro match, micros only, consecutive repeats
/// collapsed, the last `maxLength` kept; then persons counted by path.
/// `PathsAggregates` ranks them into the report.
struct PathsSQL {
    /// With its window resolved (`PathsCalculator.resolved`).
    var query: PathsQuery
    var macro: Int
    var schema: ClickHouseSchema

    var text: String {
        let rates = RatesSQL(query: RatesQuery(site: query.site, plan: query.plan, from: query.from, to: query.to, segments: query.segments,
                                               includeBots: query.includeBots), schema: schema)
        let definitions = query.plan.conversions
        // The macro and the micros, in plan order: a match's code is event index × width + definition.
        let walked = definitions.indices.filter { $0 == macro || definitions[$0].kind == .micro }
        let width = definitions.count + 1
        var lines = rates.personLines
        for d in walked { lines += rates.matchLines(d, definitions[d]) }
        let codes = walked.map { "arrayFilter((c, k) -> k = 1, arrayMap(i -> toUInt64(i * \(width) + \($0)), idx), k\($0))" }
        lines += [
            "arraySort(arrayConcat(\(codes.joined(separator: ", ")))) AS matches",
            "arrayFirstIndex(c -> c % \(width) = \(macro), matches) AS macro_at",
            "arrayMap(c -> toUInt32(c % \(width)), if(macro_at = 0, matches, arraySlice(matches, 1, macro_at - 1))) AS before",
            "arrayFilter((d, p) -> d != p, before, arraySlice(arrayPushFront(before, toUInt32(\(width))), 1, length(before))) AS steps",
        ]
        let maxLength = query.maxLength
        return """
            SELECT
                arraySlice(steps, -\(maxLength)) AS path,
                length(steps) > \(maxLength) AS truncated,
                count() AS persons,
                countIf(macro_at != 0) AS converters
            FROM (
            \(rates.perPerson(lines).indented(4))
            )
            WHERE has(act, 1)
            GROUP BY path, truncated
            ORDER BY persons DESC, path
            """
    }
}
