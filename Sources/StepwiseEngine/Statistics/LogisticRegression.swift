import Foundation

/// Persons who share one pattern of binary indicators, and how many of them converted:
/// with binary features a logistic fit only needs these counts, so fitting over a
/// million persons costs as much as fitting over their few hundred distinct patterns.
public struct PatternCount: Sendable, Equatable {
    public var pattern: UInt64
    public var persons: Int
    public var converted: Int

    public init(pattern: UInt64, persons: Int, converted: Int) {
        self.pattern = pattern
        self.persons = persons
        self.converted = converted
    }
}

/// An L2-regularised logistic regression of an outcome on binary indicators, each
/// standardised to mean 0 and standard deviation 1 over the persons fitted (so penalties
/// and coefficients are comparable across micros). The penalty follows scikit-learn's
/// convention: minimise ½‖β‖² + C·Σ log-loss, the intercept unpenalised.
public struct LogisticFit: Sendable, Equatable {
    public var intercept: Double
    /// Per feature: the standardised coefficient, nil when the feature does not vary.
    public var coefficients: [Double?]
    /// Standard errors of the standardised coefficients, from the inverse of the penalised Hessian.
    public var standardErrors: [Double?]
    public var means: [Double]
    public var scales: [Double]
    public var iterations: Int

    /// Log-odds of a pattern.
    public func logit(_ pattern: UInt64) -> Double {
        var eta = intercept
        for j in coefficients.indices {
            guard let beta = coefficients[j] else { continue }
            let x = pattern >> UInt64(j) & 1 == 1 ? 1.0 : 0.0
            eta += beta * (x - means[j]) / scales[j]
        }
        return eta
    }

    /// Odds ratio of doing feature j (0 → 1) with its 95 % interval.
    public func oddsRatio(_ j: Int) -> (ratio: Double, ci95: [Double])? {
        guard let beta = coefficients[j], let se = standardErrors[j] else { return nil }
        let scale = scales[j]
        return (exp(beta / scale), [exp((beta - Rate.z95 * se) / scale), exp((beta + Rate.z95 * se) / scale)])
    }
}

public enum LogisticRegression {
    /// Fits by Newton's method (IRLS) with step halving. nil when the outcome does not vary.
    public static func fit(_ rows: [PatternCount], features: Int, c: Double = 1) -> LogisticFit? {
        let persons = Double(rows.reduce(0) { $0 + $1.persons })
        let converted = Double(rows.reduce(0) { $0 + $1.converted })
        guard persons > 0, converted > 0, converted < persons else { return nil }
        var means = [Double](repeating: 0, count: features), scales = [Double](repeating: 1, count: features)
        for j in 0..<features {
            let share = Double(rows.reduce(0) { $0 + ($1.pattern >> UInt64(j) & 1 == 1 ? $1.persons : 0) }) / persons
            means[j] = share
            scales[j] = (share * (1 - share)).squareRoot()
        }
        let used = (0..<features).filter { scales[$0] > 1e-12 }
        let k = used.count + 1
        // Standardised design, one row per pattern; column 0 is the intercept.
        let design: [[Double]] = rows.map { row in
            [1] + used.map { j in ((row.pattern >> UInt64(j) & 1 == 1 ? 1 : 0) - means[j]) / scales[j] }
        }
        let lambda = 1 / c
        func objective(_ beta: [Double]) -> Double {
            var total = 0.0
            for (r, row) in rows.enumerated() {
                let eta = dot(design[r], beta)
                total += Double(row.persons) * softplus(eta) - Double(row.converted) * eta
            }
            return total + 0.5 * lambda * beta.dropFirst().reduce(0) { $0 + $1 * $1 }
        }
        var beta = [Double](repeating: 0, count: k)
        beta[0] = log(converted / (persons - converted))
        var current = objective(beta)
        var hessian = [[Double]]()
        var iterations = 0
        while iterations < 100 {
            iterations += 1
            var gradient = [Double](repeating: 0, count: k)
            hessian = [[Double]](repeating: [Double](repeating: 0, count: k), count: k)
            for (r, row) in rows.enumerated() {
                let x = design[r]
                let pi = sigmoid(dot(x, beta))
                let residual = Double(row.persons) * pi - Double(row.converted)
                let weight = Double(row.persons) * pi * (1 - pi)
                for a in 0..<k {
                    gradient[a] += x[a] * residual
                    for b in 0...a { hessian[a][b] += weight * x[a] * x[b] }
                }
            }
            for a in 1..<k { gradient[a] += lambda * beta[a]; hessian[a][a] += lambda }
            for a in 0..<k { for b in 0..<a { hessian[b][a] = hessian[a][b] } }
            guard let step = Cholesky(hessian)?.solve(gradient) else { return nil }
            var scale = 1.0
            var next = zip(beta, step).map { $0 - scale * $1 }
            var value = objective(next)
            while value > current + 1e-12 * abs(current), scale > 1e-8 {
                scale /= 2
                next = zip(beta, step).map { $0 - scale * $1 }
                value = objective(next)
            }
            let change = zip(beta, next).reduce(0) { max($0, abs($1.0 - $1.1)) }
            beta = next
            current = value
            if change < 1e-10 { break }
        }
        // The covariance at the optimum: the inverse Hessian's diagonal.
        guard let factor = Cholesky(hessian) else { return nil }
        var coefficients = [Double?](repeating: nil, count: features), errors = [Double?](repeating: nil, count: features)
        for (u, j) in used.enumerated() {
            var unit = [Double](repeating: 0, count: k)
            unit[u + 1] = 1
            coefficients[j] = beta[u + 1]
            errors[j] = factor.solve(unit)[u + 1].squareRoot()
        }
        return LogisticFit(intercept: beta[0], coefficients: coefficients, standardErrors: errors, means: means,
                           scales: scales, iterations: iterations)
    }

    /// Mean AUC over folds: each fold's persons are scored by a model fitted on the others.
    /// `folds[f]` holds fold f's pattern counts. nil when no fold has both outcomes.
    public static func crossValidatedAUC(_ folds: [[PatternCount]], features: Int, c: Double = 1) -> Double? {
        var aucs: [Double] = []
        for held in folds.indices {
            var training: [UInt64: PatternCount] = [:]
            for (f, fold) in folds.enumerated() where f != held {
                for row in fold {
                    training[row.pattern, default: PatternCount(pattern: row.pattern, persons: 0, converted: 0)].persons += row.persons
                    training[row.pattern]!.converted += row.converted
                }
            }
            guard let model = fit(training.values.sorted { $0.pattern < $1.pattern }, features: features, c: c) else { continue }
            let groups = folds[held].map { (score: model.logit($0.pattern), positives: $0.converted, negatives: $0.persons - $0.converted) }
            if let auc = RankAUC.auc(groups) { aucs.append(auc) }
        }
        return aucs.isEmpty ? nil : aucs.reduce(0, +) / Double(aucs.count)
    }

    @inline(__always) static func sigmoid(_ eta: Double) -> Double {
        eta >= 0 ? 1 / (1 + exp(-eta)) : exp(eta) / (1 + exp(eta))
    }

    /// log(1 + e^η) without overflow.
    @inline(__always) static func softplus(_ eta: Double) -> Double {
        eta > 0 ? eta + log1p(exp(-eta)) : log1p(exp(eta))
    }

    @inline(__always) static func dot(_ x: [Double], _ y: [Double]) -> Double {
        var total = 0.0
        for i in x.indices { total += x[i] * y[i] }
        return total
    }
}

/// The Cholesky factor of a symmetric positive-definite matrix, for solving H·x = g.
struct Cholesky {
    private var lower: [[Double]]

    init?(_ matrix: [[Double]]) {
        let n = matrix.count
        lower = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
        for i in 0..<n {
            for j in 0...i {
                var sum = matrix[i][j]
                for k in 0..<j { sum -= lower[i][k] * lower[j][k] }
                if i == j {
                    guard sum > 0 else { return nil }
                    lower[i][i] = sum.squareRoot()
                } else {
                    lower[i][j] = sum / lower[j][j]
                }
            }
        }
    }

    func solve(_ b: [Double]) -> [Double] {
        let n = b.count
        var y = b
        for i in 0..<n {
            for k in 0..<i { y[i] -= lower[i][k] * y[k] }
            y[i] /= lower[i][i]
        }
        for i in stride(from: n - 1, through: 0, by: -1) {
            for k in (i + 1)..<n { y[i] -= lower[k][i] * y[k] }
            y[i] /= lower[i][i]
        }
        return y
    }
}
