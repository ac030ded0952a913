import Foundation
import StepwiseCore
import StepwisePlan

/// Computes an `ExperimentReport` in one pass over the site's persons.
///
/// Each variant's exposure becomes a definition (`$exposure` with the experiment's and the
/// variant's names in its props), so exposures ride the same person timelines as the metrics.
/// A person counts from their first exposure: only metric matches at or after it are theirs.
public enum ExperimentCalculator {

    /// What an experiment report scans: the experiment, its metrics (primary first) as
    /// definition indices, the valued macros whose values are revenue, and the plan with one
    /// exposure definition per variant appended (from `firstExposure` on).
    public struct Scan: Sendable {
        public var experiment: ExperimentDefinition
        public var metricNames: [String]
        public var metrics: [Int]
        public var valued: [Int]
        public var plan: TrackingPlan
        public var firstExposure: Int
    }

    public static func scan(_ query: ExperimentQuery) throws(PredictQuery.Invalid) -> Scan {
        let plan = query.plan
        guard let experiment = plan.experiments.first(where: { $0.name == query.experiment }) else {
            let known = plan.experiments.map(\.name).joined(separator: ", ")
            throw PredictQuery.Invalid(field: "experiment", reason: "'\(query.experiment)' is not an experiment of the plan (its experiments: \(known.isEmpty ? "none" : known))")
        }
        let index = Dictionary(plan.conversions.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        let metricNames = [experiment.primary] + experiment.guardrails
        let metrics = metricNames.compactMap { index[$0] }
        guard metrics.count == metricNames.count else {
            throw PredictQuery.Invalid(field: "experiment", reason: "its metrics must be definitions of the plan")
        }
        // Revenue: the values of the plan's macros that carry one.
        let valued = plan.conversions.indices.filter { plan.conversions[$0].kind == .macro && plan.conversions[$0].value != nil }
        var scanned = plan
        for variant in experiment.variants {
            var when = EventMatcher(event: ExperimentQuery.exposureEvent)
            when.props = [PropCondition(key: "experiment", op: .eq, operand: .string(experiment.name)),
                          PropCondition(key: "variant", op: .eq, operand: .string(variant.name))]
            scanned.conversions.append(ConversionDefinition(name: "\(ExperimentQuery.exposureEvent):\(variant.name)", kind: .micro, when: when))
        }
        return Scan(experiment: experiment, metricNames: metricNames, metrics: metrics, valued: valued, plan: scanned,
                    firstExposure: plan.conversions.count)
    }

    public static func compute(_ query: ExperimentQuery, in table: EventTable) throws(PredictQuery.Invalid) -> ExperimentReport {
        let scan = try scan(query)
        let (experiment, metricNames, metrics, valued, scanned, firstExposure) =
            (scan.experiment, scan.metricNames, scan.metrics, scan.valued, scan.plan, scan.firstExposure)
        let variantCount = experiment.variants.count
        let context = ScanContext(table: table, plan: scanned, from: query.from, to: query.to, includeBots: query.includeBots,
                                  segments: query.segments)
        let metric32 = metrics.map(Int32.init), valued32 = Set(valued.map(Int32.init))
        let partials = context.mapPersons(site: query.site, { Tally(variants: variantCount, metrics: metrics.count) }) { tally, person in
            var variant = -1, exposedAt = Int64.max
            for match in person.matches where Int(match.definition) >= firstExposure {
                let v = Int(match.definition) - firstExposure
                if variant == -1 { variant = v; exposedAt = match.time } else if v != variant { variant = -2; break }
            }
            if variant == -2 { tally.mixed += 1; return }
            guard variant >= 0 else { return }
            var converted = [Bool](repeating: false, count: metric32.count)
            var revenue = 0.0
            for match in person.matches where match.time >= exposedAt {
                if let m = metric32.firstIndex(of: match.definition) { converted[m] = true }
                if match.counted, valued32.contains(match.definition) { revenue += match.value }
            }
            tally.persons[variant] += 1
            for m in converted.indices where converted[m] { tally.conversions[variant * metric32.count + m] += 1 }
            tally.revenue[variant] += revenue
            tally.revenueSquares[variant] += revenue * revenue
        }
        var tally = Tally(variants: variantCount, metrics: metrics.count)
        for partial in partials { tally.merge(partial) }
        return report(query: query, experiment: experiment, tally: tally, metricNames: metricNames, hasRevenue: !valued.isEmpty)
    }

    static func report(query: ExperimentQuery, experiment: ExperimentDefinition, tally: Tally, metricNames: [String], hasRevenue: Bool)
        -> ExperimentReport
    {
        let names = experiment.variants.map(\.name)
        let control = names.firstIndex(of: "control") ?? 0
        let m = metricNames.count
        var results: [ExperimentMetric] = []
        for (k, name) in metricNames.enumerated() {
            let conversions = { (v: Int) in tally.conversions[v * m + k] }
            results.append(ExperimentMetric(name: name, role: k == 0 ? .primary : .guardrail, variants: names.indices.map { v in
                VariantMetric(
                    variant: names[v], persons: tally.persons[v], conversions: conversions(v),
                    rate: Rate(conversions(v), of: tally.persons[v], kind: .persons), mean: nil,
                    comparison: v == control ? nil : VariantComparison.proportions(
                        control: (conversions(control), tally.persons[control]), treatment: (conversions(v), tally.persons[v])))
            }))
        }
        if hasRevenue {
            func summary(_ v: Int) -> (persons: Int, mean: Double, variance: Double) {
                let n = Double(tally.persons[v])
                guard n > 1 else { return (tally.persons[v], n > 0 ? tally.revenue[v] / n : 0, 0) }
                let mean = tally.revenue[v] / n
                return (tally.persons[v], mean, max(0, (tally.revenueSquares[v] - n * mean * mean) / (n - 1)))
            }
            results.append(ExperimentMetric(name: "revenue_per_person", role: .revenue, variants: names.indices.map { v in
                VariantMetric(variant: names[v], persons: tally.persons[v], conversions: nil, rate: nil, mean: summary(v).mean,
                              comparison: v == control ? nil : VariantComparison.means(control: summary(control), treatment: summary(v)))
            }))
        }
        let sampleRatio = sampleRatioCheck(observed: tally.persons, weights: experiment.variants.map(\.weight))

        // The verdict, and the warnings that must not be missed.
        var warnings: [String] = []
        if sampleRatio.mismatch {
            warnings.append(String(format: "Sample ratio mismatch (chi-square p = %.2g): persons per variant are not what the weights say; "
                                   + "fix assignment or tracking before reading any result.", sampleRatio.pValue))
        }
        let primary = results[0]
        var verdict = ExperimentReport.Verdict.keepRunning
        var why = "No variant differs significantly from \(names[control]) on \(primary.name) yet."
        if tally.persons.reduce(0, +) == 0 {
            why = "Nobody has been exposed to \(experiment.name) yet (no \(ExperimentQuery.exposureEvent) events with its name)."
        }
        for v in names.indices where v != control {
            guard let comparison = primary.variants[v].comparison, comparison.pValue < 0.05 else { continue }
            if comparison.absoluteLift < 0 {
                verdict = .stop
                why = "\(names[v]) lowers \(primary.name) (\(Self.percent(comparison.relativeLift)), \(Self.p(comparison.pValue)))."
                continue
            }
            let hurt = results.filter { $0.role == .guardrail }.filter { metric in
                guard let guardrail = metric.variants[v].comparison else { return false }
                return Self.mostlyBelowZero(guardrail)
            }
            for metric in hurt {
                warnings.append("\(names[v]) raises \(primary.name) but \(metric.name) falls "
                                + "(\(Self.percent(metric.variants[v].comparison?.relativeLift))): more micro-conversions, fewer of what matters.")
            }
            if verdict == .stop { continue }
            verdict = hurt.isEmpty ? .ship : .doNotShip
            why = hurt.isEmpty
                ? "\(names[v]) raises \(primary.name) by \(Self.percent(comparison.relativeLift)) (\(Self.p(comparison.pValue))) and no guardrail falls."
                : "\(names[v]) raises \(primary.name) but hurts \(hurt.map(\.name).joined(separator: ", ")): do not ship it."
        }
        if sampleRatio.mismatch {
            verdict = .invalid
            why = "The sample ratio does not match the weights, so the comparison is not trustworthy."
        }
        return ExperimentReport(
            site: query.site, experiment: experiment.name, from: query.from.map(Timestamp.formatRFC3339), to: query.to.map(Timestamp.formatRFC3339),
            control: names[control],
            variants: names.indices.map { VariantExposure(name: names[$0], weight: experiment.variants[$0].weight, persons: tally.persons[$0]) },
            mixedExposures: tally.mixed, sampleRatio: sampleRatio, metrics: results, warnings: warnings, verdict: verdict, why: why)
    }

    /// A guardrail that falls: the point estimate below control with at least three quarters
    /// of its 95 % interval below zero.
    static func mostlyBelowZero(_ c: VariantComparison) -> Bool {
        guard c.absoluteLift < 0 else { return false }
        let (low, high) = (c.absoluteCi95[0], c.absoluteCi95[1])
        guard high > 0 else { return true }
        return -low / (high - low) >= 0.75
    }

    /// Pearson's chi-square of persons per variant against the weights, k − 1 degrees of freedom.
    public static func sampleRatioCheck(observed: [Int], weights: [Int]) -> SampleRatioCheck {
        let total = Double(observed.reduce(0, +)), weightSum = Double(weights.reduce(0, +))
        guard total > 0, weightSum > 0 else { return SampleRatioCheck(chiSquare: 0, pValue: 1, mismatch: false) }
        var chi = 0.0
        for (o, w) in zip(observed, weights) where w > 0 {
            let expected = total * Double(w) / weightSum
            chi += (Double(o) - expected) * (Double(o) - expected) / expected
        }
        let p = SpecialFunctions.chiSquareSurvival(chi, df: Double(weights.count - 1))
        return SampleRatioCheck(chiSquare: chi, pValue: p, mismatch: p < 0.001)
    }

    public static func percent(_ value: Double?) -> String { value.map { String(format: "%+.1f%%", $0 * 100) } ?? "n/a" }
    static func p(_ value: Double) -> String { value < 0.0001 ? "p < 0.0001" : String(format: "p = %.4f", value) }

    struct Tally: Sendable {
        var persons: [Int]
        /// `[variant * metrics + metric]`.
        var conversions: [Int]
        var revenue: [Double]
        var revenueSquares: [Double]
        var mixed = 0

        init(variants: Int, metrics: Int) {
            persons = Array(repeating: 0, count: variants)
            conversions = Array(repeating: 0, count: variants * metrics)
            revenue = Array(repeating: 0, count: variants)
            revenueSquares = Array(repeating: 0, count: variants)
        }

        mutating func merge(_ other: Tally) {
            for i in persons.indices { persons[i] += other.persons[i]; revenue[i] += other.revenue[i]; revenueSquares[i] += other.revenueSquares[i] }
            for i in conversions.indices { conversions[i] += other.conversions[i] }
            mixed += other.mixed
        }
    }
}
