import StepwiseCore
import StepwisePlan

/// Computes a `PathsReport` in one pass over the site's persons.
///
/// A converter's path is the micros they matched strictly before their first macro in the
/// window; anyone else's is every micro they matched in it. The same micro twice in a row is
/// one step, so a path shows progress, not repetition.
public enum PathsCalculator {
    public static func compute(_ query: PathsQuery, in table: EventTable) throws(PredictQuery.Invalid) -> PathsReport {
        let plan = query.plan
        let macro = try AttributionQuery.macro(query.macro, in: plan)
        let g = Int32(plan.conversions.firstIndex { $0.name == macro }!)
        let query = resolved(query, lastEvent: EngagementScoreCalculator.lastEvent(site: query.site, includeBots: query.includeBots, in: table))
        let isMicro = plan.conversions.map { $0.kind == .micro }
        let maxLength = query.maxLength
        let context = ScanContext(table: table, plan: plan, from: query.from, to: query.to, includeBots: query.includeBots,
                                  segments: query.segments)
        let partials = context.mapPersons(site: query.site, { [PathKey: (persons: Int, converters: Int)]() }) { paths, person in
            var steps: [Int32] = []
            var converted = false
            for match in person.matches {
                if match.definition == g { converted = true; break }
                guard isMicro[Int(match.definition)], steps.last != match.definition else { continue }
                steps.append(match.definition)
            }
            let key = PathKey(steps: Array(steps.suffix(maxLength)), truncated: steps.count > maxLength)
            paths[key, default: (0, 0)].persons += 1
            if converted { paths[key]!.converters += 1 }
        }
        var paths: [PathKey: (persons: Int, converters: Int)] = [:]
        for partial in partials {
            for (key, counts) in partial {
                paths[key, default: (0, 0)].persons += counts.persons
                paths[key]!.converters += counts.converters
            }
        }
        return report(query, macro: macro, paths: paths)
    }

    /// The window resolved as the predictive report resolves it (`PredictiveValueCalculator.resolved`).
    public static func resolved(_ query: PathsQuery, lastEvent: Int64?) -> PathsQuery {
        var query = query
        (query.from, query.to) = PredictQuery.window(from: query.from, to: query.to, lookbackMillis: query.lookbackMillis, lastEvent: lastEvent)
        return query
    }

    /// The report from every path's counts: the one place either backend's paths are ranked.
    static func report(_ query: PathsQuery, macro: String, paths: [PathKey: (persons: Int, converters: Int)]) -> PathsReport {
        let plan = query.plan
        let maxLength = query.maxLength
        let rows = paths.map { key, counts in
            MicroPath(steps: key.steps.map { plan.conversions[Int($0)].name }, truncated: key.truncated, persons: counts.persons,
                      converters: counts.converters, macroRate: Rate(counts.converters, of: counts.persons, kind: .persons))
        }
        func top(by count: (MicroPath) -> Int) -> [MicroPath] {
            Array(rows.filter { count($0) > 0 }
                .sorted { count($0) != count($1) ? count($0) > count($1) : $0.text < $1.text }
                .prefix(query.top))
        }
        return PathsReport(
            site: query.site, macro: macro, from: query.from.map(Timestamp.formatRFC3339), to: query.to.map(Timestamp.formatRFC3339),
            maxLength: maxLength, persons: rows.reduce(0) { $0 + $1.persons }, converters: rows.reduce(0) { $0 + $1.converters },
            converting: top { $0.converters }, nonConverting: top { $0.persons - $0.converters },
            method: "A converter's path is the micros matched before their first \(macro) in the window; anyone else's, every micro "
                + "matched in it. Consecutive repeats count once; paths keep their last \(maxLength) steps. The macro rate of a path is "
                + "its converters over every person who followed it exactly.")
    }

    struct PathKey: Hashable, Sendable {
        var steps: [Int32]
        var truncated: Bool
    }
}
