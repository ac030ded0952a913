import StepwiseEngine
import StepwisePlan

/// A predictive-value report as one ClickHouse query: per person with an event the lookback
/// and segments keep, the macro's and the micros' matches judged as the rates report judges
/// them (`RatesSQL.matchLines`), reduced to a pattern (a bit per micro done strictly before
/// the first macro), whether they converted, and their cross-validation fold; then persons
/// counted by fold and pattern, and each micro's lags (seconds to the macro) sorted down to
/// the values its quantiles need. `PredictAggregates` turns the rows into the report.
///
/// The fold is the engine's (`PredictiveValueCalculator.fold`): splitmix64 of the person's
/// first event time, in UInt64 arithmetic that wraps as Swift's `&+`/`&*` do. Patterns come
/// back as text: 64 bits do not survive a JSON number.
struct PredictSQL {
    /// With its lookback resolved (`PredictiveValueCalculator.resolved`).
    var query: PredictQuery
    var macro: Int
    var micros: [Int]
    var schema: ClickHouseSchema

    private var rates: RatesSQL {
        RatesSQL(query: RatesQuery(site: query.site, plan: query.plan, from: query.from, to: query.to, segments: query.segments,
                                   includeBots: query.includeBots), schema: schema)
    }

    /// `PredictiveValueCalculator.fold` in SQL, as lines ending in `fold`.
    static func fold(firstEvent time: String) -> [String] {
        func constant(_ value: UInt64) -> String { "toUInt64('\(value)')" }
        return [
            "toUInt64(\(time)) + \(constant(0x9E37_79B9_7F4A_7C15)) AS mix1",
            "bitXor(mix1, bitShiftRight(mix1, 30)) * \(constant(0xBF58_476D_1CE4_E5B9)) AS mix2",
            "bitXor(mix2, bitShiftRight(mix2, 27)) * \(constant(0x94D0_49BB_1331_11EB)) AS mix3",
            "bitXor(mix3, bitShiftRight(mix3, 31)) % \(PredictiveValueCalculator.folds) AS fold",
        ]
    }

    var text: String {
        let rates = rates
        let definitions = query.plan.conversions
        var lines = rates.personLines
        for d in [macro] + micros { lines += rates.matchLines(d, definitions[d]) }
        let never = "toInt64(9223372036854775807)"
        lines.append("if(has(k\(macro), 1), ts[indexOf(k\(macro), 1)], \(never)) AS macro_at")
        for (bit, d) in micros.enumerated() {
            lines.append("if(has(k\(d), 1), ts[indexOf(k\(d), 1)], \(never)) < macro_at AS did\(bit)")
        }
        let bits = micros.indices.map { "if(did\($0), toUInt64(\(UInt64(1) << UInt64($0))), toUInt64(0))" }
        lines.append("\(bits.dropFirst().reduce(bits[0]) { "bitOr(\($0), \($1))" }) AS pattern")
        let lags = micros.enumerated().map { bit, d in
            "arrayFilter(x -> did\(bit) AND macro_at != \(never), [(toUInt8(1), toUInt64(\(bit)), toUInt64(0), toUInt8(0), toInt64(intDiv(macro_at - ts[indexOf(k\(d), 1)], 1000)))])"
        }
        lines += Self.fold(firstEvent: "ts[1]")
        lines.append("arrayConcat([(toUInt8(0), fold, pattern, toUInt8(macro_at != \(never)), toInt64(0))],\n    "
                     + lags.joined(separator: ",\n    ") + ") AS per_person")
        return """
            SELECT
                kind, a, toString(b), persons, converted, \(SQL.orderStatistics("s"))
            FROM (
                SELECT
                    tupleElement(r, 1) AS kind,
                    tupleElement(r, 2) AS a,
                    tupleElement(r, 3) AS b,
                    count() AS persons,
                    sum(tupleElement(r, 4)) AS converted,
                    arraySort(groupArrayIf(tupleElement(r, 5), kind = 1)) AS s
                FROM (
            \(rates.perPerson(lines).indented(8))
                )
                ARRAY JOIN per_person AS r
                WHERE has(act, 1)
                GROUP BY kind, a, b
            )
            ORDER BY kind, a, b
            """
    }
}
