import Foundation
import StepwiseCore
import StepwisePlan

/// Computes a `PredictiveValueReport` in one pass over the site's persons.
///
/// Each person becomes one pattern: a bit per micro done strictly before their first macro
/// in the lookback (or at all, if they never converted), and whether they converted. Every
/// 2×2 table and the model are then sums over the distinct patterns, so the statistics cost
/// nothing next to the scan. Events after a person's first macro never set a bit: a micro
/// that follows the purchase (an order review) cannot borrow the purchase's credit.
public enum PredictiveValueCalculator {
    public static let folds = 5

    public static func compute(_ query: PredictQuery, in table: EventTable) throws(PredictQuery.Invalid) -> PredictiveValueReport {
        let (g, micros) = try query.resolve()
        let query = resolved(query, lastEvent: EngagementScoreCalculator.lastEvent(site: query.site, includeBots: query.includeBots, in: table))
        let context = ScanContext(table: table, plan: query.plan, from: query.from, to: query.to,
                                  includeBots: query.includeBots, segments: query.segments)
        let bitOf = (0..<query.plan.conversions.count).map { micros.firstIndex(of: $0) ?? -1 }
        let g32 = Int32(g)
        let partials = context.mapPersons(site: query.site, { Partial(micros: micros.count) }) { partial, person in
            let matches = person.matches
            var macroAt = Int64.max
            for match in matches where match.definition == g32 { macroAt = match.time; break }
            var pattern: UInt64 = 0
            for match in matches where match.time < macroAt {
                let bit = bitOf[Int(match.definition)]
                guard bit >= 0, pattern >> UInt64(bit) & 1 == 0 else { continue }
                pattern |= 1 << UInt64(bit)
                if macroAt != .max { partial.lags[bit].append(seconds: macroAt - match.time) }
            }
            let fold = Int(Self.fold(firstEvent: table.timestamp[table.events(ofPerson: person.person).lowerBound]))
            partial.patterns[fold][pattern, default: (0, 0)].persons += 1
            if macroAt != .max { partial.patterns[fold][pattern]!.converted += 1 }
        }

        // Pattern counts per fold, and overall.
        var foldRows = [[UInt64: PatternCount]](repeating: [:], count: folds)
        var lags = [[Samples]](repeating: [], count: micros.count)
        for partial in partials {
            for (f, fold) in partial.patterns.enumerated() {
                for (pattern, counts) in fold {
                    foldRows[f][pattern, default: PatternCount(pattern: pattern, persons: 0, converted: 0)].persons += counts.persons
                    foldRows[f][pattern]!.converted += counts.converted
                }
            }
            for m in micros.indices { lags[m].append(partial.lags[m]) }
        }
        defer { for m in lags.indices { for k in lags[m].indices { lags[m][k].free() } } }
        let lagSummaries = lags.map { parts in
            Quantile.medianAndP90(parts).map { median, p90 in
                DurationSummary(count: parts.reduce(0) { $0 + $1.count }, medianSeconds: median, p90Seconds: p90)
            }
        }
        return report(query, macro: g, micros: micros, folds: foldRows, lags: lagSummaries)
    }

    /// The query with its lookback resolved: the end defaults to just after the site's last
    /// event (`lastEvent`, bots left out unless asked), the start to the lookback before it.
    public static func resolved(_ query: PredictQuery, lastEvent: Int64?) -> PredictQuery {
        var query = query
        (query.from, query.to) = PredictQuery.window(from: query.from, to: query.to, lookbackMillis: query.lookbackMillis, lastEvent: lastEvent)
        return query
    }

    /// The report from the persons' patterns per fold and each micro's lag: the one place
    /// either backend's counts become a `PredictiveValueReport`.
    static func report(_ query: PredictQuery, macro g: Int, micros: [Int], folds foldRows: [[UInt64: PatternCount]],
                       lags: [DurationSummary?]) -> PredictiveValueReport {
        var all: [UInt64: PatternCount] = [:]
        for fold in foldRows {
            for row in fold.values {
                all[row.pattern, default: PatternCount(pattern: row.pattern, persons: 0, converted: 0)].persons += row.persons
                all[row.pattern]!.converted += row.converted
            }
        }
        let rows = all.values.sorted { $0.pattern < $1.pattern }
        let persons = rows.reduce(0) { $0 + $1.persons }, converters = rows.reduce(0) { $0 + $1.converted }

        let model = query.fitsModel ? LogisticRegression.fit(rows, features: micros.count) : nil
        let auc = query.fitsModel
            ? LogisticRegression.crossValidatedAUC(foldRows.map { $0.values.sorted { $0.pattern < $1.pattern } }, features: micros.count) : nil
        let macroName = query.plan.conversions[g].name

        var values: [PredictiveValue] = []
        for (bit, d) in micros.enumerated() {
            var table2 = TwoByTwo(a: 0, b: 0, c: 0, d: 0)
            for row in rows {
                let did = row.pattern >> UInt64(bit) & 1 == 1
                if did { table2.a += row.converted; table2.b += row.persons - row.converted }
                else { table2.c += row.converted; table2.d += row.persons - row.converted }
            }
            let (p, test) = table2.pValue
            let weight = model.flatMap { fit -> ModelWeight? in
                guard let beta = fit.coefficients[bit], let se = fit.standardErrors[bit], let odds = fit.oddsRatio(bit) else { return nil }
                return ModelWeight(coefficient: beta, standardError: se, oddsRatio: odds.ratio, oddsRatioCi95: odds.ci95)
            }
            let lag = lags[bit]
            let prevalence = Rate(table2.exposed, of: persons, kind: .persons)
            let (verdict, why) = Self.verdict(table2, pValue: p, prevalence: prevalence.rate ?? 0, macro: macroName)
            values.append(PredictiveValue(
                name: query.plan.conversions[d].name, persons: table2.exposed,
                rateWith: Rate(table2.a, of: table2.exposed, kind: .persons),
                rateWithout: Rate(table2.c, of: table2.unexposed, kind: .persons),
                lift: table2.lift, liftCi95: table2.liftInterval, pValue: p, test: test,
                coverage: Rate(table2.a, of: converters, kind: .persons), prevalence: prevalence,
                lag: lag, model: weight, verdict: verdict, why: why))
        }

        return PredictiveValueReport(
            site: query.site, macro: macroName,
            from: query.from.map(Timestamp.formatRFC3339), to: query.to.map(Timestamp.formatRFC3339),
            segments: query.segments.map(\.description), includeBots: query.includeBots,
            persons: persons, converters: converters, baseRate: Rate(converters, of: persons, kind: .persons),
            micros: values,
            model: model.map {
                ModelSummary(method: "L2-regularised logistic regression (C = 1) on standardised micro indicators, fitted by Newton/IRLS",
                             intercept: $0.intercept, iterations: $0.iterations, cvAuc: auc, folds: folds)
            },
            caution: "These are associations, not causes: persons who do a micro may differ in other ways. "
                + "Run an experiment on a micro to prove it moves \(macroName).")
    }

    /// A person's cross-validation fold: a hash (splitmix64) of the time of their first event,
    /// which every store knows alike (ClickHouse computes the same, `PredictSQL`), so the
    /// cross-validated AUC is equal on both backends; stable while the person's first event is.
    public static func fold(firstEvent time: Int64) -> UInt64 {
        var x = UInt64(bitPattern: time) &+ 0x9E37_79B9_7F4A_7C15
        x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
        x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
        x ^= x >> 31
        return x % UInt64(folds)
    }

    /// The verdict and its reason, checked in order: strong, negative, weak, vanity, no evidence.
    static func verdict(_ t: TwoByTwo, pValue p: Double, prevalence: Double, macro: String) -> (PredictiveValue.Verdict, String) {
        let liftText = t.lift.map { String(format: "%.2f×", $0) } ?? "undefined"
        let pText = p < 0.0001 ? "p < 0.0001" : String(format: "p = %.4f", p)
        let lift = t.lift ?? (t.a > 0 ? .infinity : 0)
        if t.exposed == 0 {
            return (.noEvidence, "Nobody did it before reaching \(macro) in this range, so it says nothing about \(macro).")
        }
        if t.lift == nil, t.a > 0, p < 0.01 {
            return (.strong, "Only persons who did it first reached \(macro) (\(t.a) of \(t.exposed); none of the \(t.unexposed) others did, \(pText)): "
                + "it is a step on the way rather than a choice.")
        }
        if lift >= 2, p < 0.01 {
            return (.strong, "Persons who did it first reached \(macro) \(liftText) as often as those who did not (\(pText)).")
        }
        if lift < 1, p < 0.05 {
            return (.negative, "Persons who did it reached \(macro) less often (\(liftText), \(pText)): it may signal a problem.")
        }
        if lift > 1, p < 0.05 {
            return (.weak, "A higher \(macro) rate (\(liftText), \(pText)), but short of strong (lift ≥ 2 and p < 0.01).")
        }
        if prevalence >= 0.2 {
            return (.vanity, String(format: "Done by %.0f%% of persons with no significant lift (%@, %@): busy, but it does not predict %@.",
                                    prevalence * 100, liftText, pText, macro))
        }
        return (.noEvidence, "No significant difference in the \(macro) rate (\(liftText), \(pText)) among the \(t.exposed) persons who did it.")
    }

    struct Partial: @unchecked Sendable {
        var patterns: [[UInt64: (persons: Int, converted: Int)]]
        var lags: [Samples]

        init(micros: Int) {
            patterns = Array(repeating: [:], count: PredictiveValueCalculator.folds)
            lags = Array(repeating: Samples(), count: micros)
        }
    }
}
