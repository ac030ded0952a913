import StepwiseEngine
import StepwisePlan

/// An experiment report as one ClickHouse query: per person, the variants they were exposed
/// to (each variant's exposure a definition of the scanned plan, judged by the rates masks),
/// the first exposure's time, the metrics matched at or after it, and the revenue of the
/// valued macros counted after it; then persons summed by variant (`-2`: mixed).
/// `ExperimentAggregates` turns the rows into the report.
struct ExperimentSQL {
    var query: ExperimentQuery
    var scan: ExperimentCalculator.Scan
    var schema: ClickHouseSchema

    var text: String {
        let rates = RatesSQL(query: RatesQuery(site: query.site, plan: scan.plan, from: query.from, to: query.to, segments: query.segments,
                                               includeBots: query.includeBots), schema: schema)
        let definitions = scan.plan.conversions
        let exposures = Array(scan.firstExposure..<definitions.count)
        var lines = rates.personLines
        for d in Array(Set(scan.metrics + scan.valued + exposures)).sorted() { lines += rates.matchLines(d, definitions[d]) }
        let never = "toInt64(9223372036854775807)"
        for (v, d) in exposures.enumerated() {
            lines.append("if(has(k\(d), 1), ts[indexOf(k\(d), 1)], \(never)) AS exposed\(v)")
        }
        let exposed = exposures.indices.map { "exposed\($0)" }
        lines.append("\(exposed.dropFirst().reduce(exposed[0]) { "least(\($0), \($1))" }) AS exposed_at")
        let count = exposed.map { "(\($0) != \(never))" }.joined(separator: " + ")
        let which = exposed.enumerated().reversed().reduce("toInt8(-1)") { "if(\($1.element) != \(never), toInt8(\($1.offset)), \($0))" }
        lines.append("if(\(count) > 1, toInt8(-2), \(which)) AS variant")
        let slots = rates.valueSlots
        let revenue = scan.valued.map { d in
            "arraySum(arrayFilter((v, c, t) -> c = 1 AND t >= exposed_at, tupleElement(ev, \(slots[d]!)), c\(d), ts))"
        }
        lines.append("toFloat64(\(revenue.isEmpty ? "0" : revenue.joined(separator: " + "))) AS person_revenue")
        var columns = ["variant", "count() AS persons", "sum(person_revenue) AS revenue_sum", "sum(person_revenue * person_revenue) AS revenue_squares"]
        for (m, d) in scan.metrics.enumerated() {
            lines.append("arrayExists((k, t) -> k = 1 AND t >= exposed_at, k\(d), ts) AS converted\(m)")
            columns.append("sum(converted\(m)) AS conversions\(m)")
        }
        return """
            SELECT
                \(columns.joined(separator: ",\n    "))
            FROM (
            \(rates.perPerson(lines).indented(4))
            )
            WHERE variant != -1
            GROUP BY variant
            ORDER BY variant
            """
    }
}
