import StepwiseCore
import StepwisePlan

/// Hourly or daily counts per event and per plan definition, read from the volumes kept as
/// events arrive. Encoded with snake_case keys (`ReportEncoding`).
public struct VolumeReport: Sendable, Equatable, Codable {
    public enum Interval: String, Sendable, Codable, CaseIterable { case hour, day }

    public var site: String
    public var interval: Interval
    /// Start of the first bucket and end of the last (exclusive), RFC 3339.
    public var from: String
    public var to: String
    /// `device=mobile` or `browser=Safari` when the counts are one segment's.
    public var segment: String?
    public var series: [VolumeSeries]
}

public struct VolumeSeries: Sendable, Equatable, Codable {
    public var name: String
    public var kind: Anomaly.SeriesKind
    public var total: Int
    public var points: [VolumePoint]
}

public struct VolumePoint: Sendable, Equatable, Codable {
    /// Start of the bucket: the UTC hour, or the plan-calendar day.
    public var at: String
    public var count: Int
}

public enum VolumeReader {
    /// The widest range each interval lists, so a request stays small.
    public static func maxBuckets(_ interval: VolumeReport.Interval) -> Int { interval == .hour ? 31 * 24 : 400 }

    /// The range a request without bounds lists: the last 7 days by hour, 28 by day, up to now.
    public static func defaultRange(interval: VolumeReport.Interval, from: Int64?, to: Int64?, now: Int64) -> (Int64, Int64) {
        let end = to ?? now
        return (from ?? end - (interval == .hour ? 7 : 28) * 86_400_000, end)
    }

    /// Counts in [from, to): hours are UTC hours; days are the plan's calendar days.
    /// `segment` narrows to one device or browser (the dimensions volumes are kept by).
    public static func report(
        site: String, plan: TrackingPlan, volumes: VolumeIndex, table: EventTable, interval: VolumeReport.Interval,
        from: Int64, to: Int64, segment: Segment? = nil
    ) throws(PredictQuery.Invalid) -> VolumeReport {
        let calendar = plan.calendar
        var device: UInt8?, browser: UInt8?
        if let segment {
            switch segment.dimension {
            case .device:
                guard let value = DeviceType.allCases.first(where: { $0.description == segment.value.lowercased() }) else {
                    throw PredictQuery.Invalid(field: "segment", reason: "'\(segment.value)' is not a device: \(DeviceType.allCases.map(\.description).joined(separator: ", "))")
                }
                device = value.rawValue
            case .browser:
                guard let value = Browser.allCases.first(where: { $0.description.lowercased() == segment.value.lowercased() }) else {
                    throw PredictQuery.Invalid(field: "segment", reason: "'\(segment.value)' is not a browser: \(Browser.allCases.map(\.description).joined(separator: ", "))")
                }
                browser = value.rawValue
            default:
                throw PredictQuery.Invalid(field: "segment", reason: "volumes are kept by device and browser; use device=… or browser=…")
            }
        }
        // Bucket boundaries, counted before they are built so a wide range costs nothing.
        let span = max(to - from, 0) / (interval == .hour ? VolumeIndex.hourMillis : 86_400_000) + 1
        guard span <= Int64(maxBuckets(interval)) + 1 else {
            throw PredictQuery.Invalid(field: "from", reason: "about \(span) \(interval.rawValue)s is more than the \(maxBuckets(interval)) one request lists")
        }
        var starts: [Int64] = []
        switch interval {
        case .hour:
            var t = Timestamp.floorDivMod(from, VolumeIndex.hourMillis).0 * VolumeIndex.hourMillis
            while t < to { starts.append(t); t += VolumeIndex.hourMillis }
        case .day:
            var day = calendar.day(of: from)
            while calendar.start(ofDay: day) < to { starts.append(calendar.start(ofDay: day)); day += 1 }
        }
        guard starts.count <= maxBuckets(interval) else {
            throw PredictQuery.Invalid(field: "from",
                                       reason: "\(starts.count) \(interval.rawValue)s is more than the \(maxBuckets(interval)) one request lists")
        }
        let first = starts.first ?? from
        func bucket(_ hour: Int32) -> Int? {
            let t = Int64(hour) * VolumeIndex.hourMillis
            guard t >= first, t < to else { return nil }
            switch interval {
            case .hour: return Int((t - first) / VolumeIndex.hourMillis)
            case .day:
                let index = Int(calendar.day(of: t) - calendar.day(of: first))
                return index < starts.count ? index : nil
            }
        }
        var counts: [Int64: [Int]] = [:]
        if let site = table.siteID(site) {
            for (key, count) in volumes.counts where key.site == site {
                if let device, key.device != device { continue }
                if let browser, key.browser != browser { continue }
                guard let index = bucket(key.hour) else { continue }
                counts[key.series, default: [Int](repeating: 0, count: starts.count)][index] += Int(count)
            }
        }
        let names = table.siteID(site).flatMap { volumes.watchedNames[$0] } ?? []
        var series: [VolumeSeries] = []
        func add(_ name: String, _ kind: Anomaly.SeriesKind, _ code: Int64) {
            let values = counts[code] ?? [Int](repeating: 0, count: starts.count)
            series.append(VolumeSeries(name: name, kind: kind, total: values.reduce(0, +), points: zip(starts, values).map { start, count in
                VolumePoint(at: interval == .hour ? Timestamp.formatRFC3339(start) : LocalCalendar.format(day: calendar.day(of: start)), count: count)
            }))
        }
        for (k, name) in names.enumerated() where !name.hasSuffix("/denominator") { add(name, .definition, VolumeIndex.definitionSeries(k)) }
        for code in counts.keys.filter({ $0 >= 0 }).sorted(by: { table.strings[Int($0)] < table.strings[Int($1)] }) {
            add(table.strings[Int(code)], .event, code)
        }
        return VolumeReport(site: site, interval: interval, from: Timestamp.formatRFC3339(first), to: Timestamp.formatRFC3339(to),
                            segment: segment?.description, series: series)
    }
}
