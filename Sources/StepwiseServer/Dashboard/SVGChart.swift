import Foundation

/// Charts drawn by Stepwise as inline SVG: no script, no external library, readable by screen
/// readers through each chart's label and the table that accompanies it.
enum SVGChart {
    struct Point {
        var label: String
        var value: Double?
        var low: Double?
        var high: Double?
    }

    private static func f(_ x: Double) -> String { String(format: "%.1f", x) }

    /// Horizontal bars per funnel step, the drop-off written between steps, and the step pair
    /// that loses the most drawn in the leak colour.
    static func funnel(_ steps: [(name: String, count: Int)], leakTo: Int?, label: String) -> String {
        let first = Double(max(steps.first?.count ?? 0, 1))
        let row = 44.0, left = 170.0, span = 420.0
        var svg = "<svg class=\"chart\" viewBox=\"0 0 720 \(Int(Double(steps.count) * row + 6))\" role=\"img\" aria-label=\"\(escape(label))\">"
        for (k, step) in steps.enumerated() {
            let y = Double(k) * row + 4
            let width = max(Double(step.count) / first * span, step.count > 0 ? 1 : 0)
            let leaking = k == leakTo
            svg += "<text x=\"0\" y=\"\(f(y + 16))\">\(escape(String(step.name.prefix(24))))</text>"
                + "<rect x=\"\(f(left))\" y=\"\(f(y + 2))\" width=\"\(f(width))\" height=\"20\" fill=\"\(leaking ? "#b3261e" : "#2f5f9e")\">"
                + "<title>\(escape(step.name)): \(step.count)</title></rect>"
                + "<text x=\"\(f(left + width + 6))\" y=\"\(f(y + 16))\">\(step.count)</text>"
            if k > 0 {
                let previous = steps[k - 1].count
                let lost = previous - step.count
                let share = previous > 0 ? String(format: "%.1f%%", Double(lost) / Double(previous) * 100) : "–"
                svg += "<text x=\"\(f(left))\" y=\"\(f(y - 2))\" font-size=\"11\" fill=\"\(leaking ? "#b3261e" : "#4f5861")\">"
                    + "↓ \(lost) dropped (\(share))\(leaking ? " · biggest leak" : "")</text>"
            }
        }
        return svg + "</svg>"
    }

    /// A line over time with its interval as a band; `percent` labels the axis as a rate.
    static func trend(_ points: [Point], label: String, percent: Bool, marks: [(index: Int, text: String)] = [],
                      flagged: Set<Int> = []) -> String {
        let width = 680.0, height = 170.0, top = 10.0, left = 48.0
        let values = points.flatMap { [$0.value, $0.high].compactMap { $0 } }
        let maximum = max(values.max() ?? 0, percent ? 0.0001 : 1)
        let step = (width - left) / Double(max(points.count - 1, 1))
        func x(_ k: Int) -> Double { left + Double(k) * step }
        func y(_ v: Double) -> Double { top + (height - top) * (1 - v / maximum) }
        func axis(_ v: Double) -> String { percent ? String(format: "%.1f%%", v * 100) : String(format: "%.0f", v) }
        var svg = "<svg class=\"chart\" viewBox=\"0 0 700 200\" role=\"img\" aria-label=\"\(escape(label))\">"
            + "<line x1=\"\(f(left))\" x2=\"\(f(width))\" y1=\"\(f(height))\" y2=\"\(f(height))\" stroke=\"#8a939c\"/>"
            + "<text x=\"0\" y=\"\(f(top + 4))\">\(axis(maximum))</text><text x=\"0\" y=\"\(f(height))\">\(axis(0))</text>"
        let band = points.enumerated().compactMap { k, p in p.high.map { "\(f(x(k))),\(f(y($0)))" } }
            + points.enumerated().reversed().compactMap { k, p in p.low.map { "\(f(x(k))),\(f(y($0)))" } }
        if band.count > 2 { svg += "<polygon points=\"\(band.joined(separator: " "))\" fill=\"#d6e2f2\"><title>95% interval</title></polygon>" }
        let line = points.enumerated().compactMap { k, p in p.value.map { "\(f(x(k))),\(f(y($0)))" } }
        svg += "<polyline points=\"\(line.joined(separator: " "))\" fill=\"none\" stroke=\"#2f5f9e\" stroke-width=\"2\"/>"
        for (k, p) in points.enumerated() {
            guard let v = p.value else { continue }
            let bad = flagged.contains(k)
            svg += "<circle cx=\"\(f(x(k)))\" cy=\"\(f(y(v)))\" r=\"\(bad ? 4.5 : 2.5)\" fill=\"\(bad ? "#b3261e" : "#2f5f9e")\">"
                + "<title>\(escape(p.label)): \(axis(v))</title></circle>"
        }
        for mark in marks where points.indices.contains(mark.index) {
            svg += "<line x1=\"\(f(x(mark.index)))\" x2=\"\(f(x(mark.index)))\" y1=\"\(f(top))\" y2=\"\(f(height))\" stroke=\"#7b3fa0\" "
                + "stroke-dasharray=\"3 3\"><title>\(escape(mark.text))</title></line>"
        }
        svg += "<text x=\"\(f(left))\" y=\"190\">\(escape(points.first?.label ?? ""))</text>"
            + "<text x=\"\(f(width))\" y=\"190\" text-anchor=\"end\">\(escape(points.last?.label ?? ""))</text>"
        return svg + "</svg>"
    }

    /// A small line without axes for a table cell.
    static func sparkline(_ values: [Double?], label: String) -> String {
        let known = values.compactMap { $0 }
        guard known.count > 1 else { return "" }
        let maximum = max(known.max() ?? 0, 1e-12)
        let step = 96.0 / Double(values.count - 1)
        let points = values.enumerated().compactMap { k, v in v.map { "\(f(Double(k) * step + 2)),\(f(22 - $0 / maximum * 20))" } }
        return "<svg width=\"100\" height=\"24\" role=\"img\" aria-label=\"\(escape(label))\"><polyline points=\"\(points.joined(separator: " "))\" "
            + "fill=\"none\" stroke=\"#2f5f9e\" stroke-width=\"1.5\"/></svg>"
    }

    /// Estimates with interval whiskers against a reference: 1 on a log axis for a ratio such as
    /// a lift (2× and 0.5× lie equally far from 1), 0 on a linear axis for a relative change.
    static func intervals(_ rows: [(label: String, value: Double, low: Double?, high: Double?, emphasis: Bool)], reference: Double,
                          label: String, format: (Double) -> String) -> String {
        let logarithmic = reference == 1
        func t(_ v: Double) -> Double { logarithmic ? log(max(v, 1e-3)) : v }
        let finite = rows.filter { $0.value.isFinite }
        guard !finite.isEmpty else { return "" }
        let ends = finite.flatMap { [$0.value, $0.low, $0.high].compactMap { $0 }.filter(\.isFinite).map(t) } + [t(reference)]
        let low = ends.min()!, high = ends.max()!
        let span = max(high - low, 1e-9), left = 170.0, width = 470.0, row = 28.0
        func x(_ v: Double) -> Double { left + (min(max(t(v), low), high) - low) / span * width }
        var svg = "<svg class=\"chart\" viewBox=\"0 0 700 \(Int(Double(finite.count) * row + 30))\" role=\"img\" aria-label=\"\(escape(label))\">"
        svg += "<line x1=\"\(f(x(reference)))\" x2=\"\(f(x(reference)))\" y1=\"0\" y2=\"\(f(Double(finite.count) * row))\" stroke=\"#8a939c\" stroke-dasharray=\"4 3\"/>"
        for (k, r) in finite.enumerated() {
            let y = Double(k) * row + 14
            let colour = r.emphasis ? "#b3261e" : "#2f5f9e"
            svg += "<text x=\"0\" y=\"\(f(y + 4))\">\(escape(String(r.label.prefix(24))))</text>"
                + "<line x1=\"\(f(x(reference)))\" x2=\"\(f(x(r.value)))\" y1=\"\(f(y))\" y2=\"\(f(y))\" stroke=\"\(colour)\" stroke-width=\"10\" opacity=\".55\"/>"
            if let lo = r.low, let hi = r.high {
                svg += "<line x1=\"\(f(x(lo)))\" x2=\"\(f(x(hi)))\" y1=\"\(f(y))\" y2=\"\(f(y))\" stroke=\"#1b1f24\" stroke-width=\"1.5\"/>"
                    + "<line x1=\"\(f(x(lo)))\" x2=\"\(f(x(lo)))\" y1=\"\(f(y - 5))\" y2=\"\(f(y + 5))\" stroke=\"#1b1f24\"/>"
                    + "<line x1=\"\(f(x(hi)))\" x2=\"\(f(x(hi)))\" y1=\"\(f(y - 5))\" y2=\"\(f(y + 5))\" stroke=\"#1b1f24\"/>"
            }
            svg += "<circle cx=\"\(f(x(r.value)))\" cy=\"\(f(y))\" r=\"3.5\" fill=\"#1b1f24\"><title>\(escape(r.label)): \(format(r.value))"
                + (r.low.map { lo in r.high.map { " (\(format(lo))–\(format($0)))" } ?? "" } ?? "") + "</title></circle>"
        }
        // Axis: both ends, and the reference when it does not crowd them.
        let base = Double(finite.count) * row + 22
        func value(_ u: Double) -> Double { logarithmic ? exp(u) : u }
        svg += "<text x=\"\(f(left))\" y=\"\(f(base))\">\(format(value(low)))</text>"
            + "<text x=\"\(f(left + width))\" y=\"\(f(base))\" text-anchor=\"end\">\(format(value(high)))</text>"
        if x(reference) - left > 60, left + width - x(reference) > 60 {
            svg += "<text x=\"\(f(x(reference)))\" y=\"\(f(base))\" text-anchor=\"middle\">\(format(reference))</text>"
        }
        return svg + "</svg>"
    }

    /// Vertical bars of counts per bin.
    static func histogram(_ bins: [(label: String, count: Int)], label: String) -> String {
        guard !bins.isEmpty else { return "" }
        let maximum = Double(max(bins.map(\.count).max() ?? 1, 1))
        let width = 640.0 / Double(bins.count)
        var svg = "<svg class=\"chart\" viewBox=\"0 0 700 200\" role=\"img\" aria-label=\"\(escape(label))\">"
        for (k, bin) in bins.enumerated() {
            let h = Double(bin.count) / maximum * 150
            let x = 40 + Double(k) * width
            svg += "<rect x=\"\(f(x + 2))\" y=\"\(f(165 - h))\" width=\"\(f(width - 4))\" height=\"\(f(h))\" fill=\"#2f5f9e\">"
                + "<title>\(escape(bin.label)): \(bin.count)</title></rect>"
                + "<text x=\"\(f(x + width / 2))\" y=\"\(f(160 - h))\" text-anchor=\"middle\" font-size=\"11\">\(bin.count)</text>"
                + "<text x=\"\(f(x + width / 2))\" y=\"185\" text-anchor=\"middle\" font-size=\"11\">\(escape(bin.label))</text>"
        }
        return svg + "</svg>"
    }
}
