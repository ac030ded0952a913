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

    /// The buckets of a volumes request and the segment it narrows to, checked: the shared
    /// first half of every store's volumes report.
    public struct Layout: Sendable {
        public let interval: VolumeReport.Interval
        public let calendar: LocalCalendar
        /// Each bucket's start: UTC hours, or the plan calendar's days.
        public let starts: [Int64]
        /// The first bucket's start (the request's start when there is no bucket), and the end.
        public let first: Int64
        public let to: Int64
        /// The segment's device or browser code, when it narrows to one.
        public let device: UInt8?
        public let browser: UInt8?

        /// The bucket of an hour (its start, milliseconds), or nil outside the range.
        public func bucket(hourStart t: Int64) -> Int? {
            guard t >= first, t < to else { return nil }
            switch interval {
            case .hour: return Int((t - first) / VolumeIndex.hourMillis)
            case .day:
                let index = Int(calendar.day(of: t) - calendar.day(of: first))
                return index < starts.count ? index : nil
            }
        }
    }

    /// Counts in [from, to): hours are UTC hours; days are the plan's calendar days.
    /// `segment` narrows to one device or browser (the dimensions volumes are kept by).
    public static func layout(plan: TrackingPlan, interval: VolumeReport.Interval, from: Int64, to: Int64, segment: Segment?)
        throws(PredictQuery.Invalid) -> Layout
    {
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
        return Layout(interval: interval, calendar: calendar, starts: starts, first: starts.first ?? from, to: to, device: device, browser: browser)
    }

    /// Counts in [from, to) from the volumes kept as events arrive.
    public static func report(
        site: String, plan: TrackingPlan, volumes: VolumeIndex, table: EventTable, interval: VolumeReport.Interval,
        from: Int64, to: Int64, segment: Segment? = nil
    ) throws(PredictQuery.Invalid) -> VolumeReport {
        let layout = try layout(plan: plan, interval: interval, from: from, to: to, segment: segment)
        let (device, browser, starts) = (layout.device, layout.browser, layout.starts)
        func bucket(_ hour: Int32) -> Int? { layout.bucket(hourStart: Int64(hour) * VolumeIndex.hourMillis) }
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
        var definitions: [Int: [Int]] = [:], events: [String: [Int]] = [:]
        for (code, values) in counts {
            if code < 0 { definitions[Int(-code - 1)] = values } else { events[table.strings[Int(code)]] = values }
        }
        return report(site: site, layout: layout, definitions: names, definitionCounts: definitions, eventCounts: events,
                      segment: segment)
    }

    /// The report from counts per bucket: by watched definition (its index in `definitions`,
    /// the site's watched names; denominators are counted but not listed) and by event name.
    public static func report(site: String, layout: Layout, definitions names: [String], definitionCounts: [Int: [Int]],
                              eventCounts: [String: [Int]], segment: Segment?) -> VolumeReport {
        let starts = layout.starts, interval = layout.interval, calendar = layout.calendar
        var series: [VolumeSeries] = []
        func add(_ name: String, _ kind: Anomaly.SeriesKind, _ values: [Int]?) {
            let values = values ?? [Int](repeating: 0, count: starts.count)
            series.append(VolumeSeries(name: name, kind: kind, total: values.reduce(0, +), points: zip(starts, values).map { start, count in
                VolumePoint(at: interval == .hour ? Timestamp.formatRFC3339(start) : LocalCalendar.format(day: calendar.day(of: start)), count: count)
            }))
        }
        for (k, name) in names.enumerated() where !name.hasSuffix("/denominator") { add(name, .definition, definitionCounts[k]) }
        for name in eventCounts.keys.sorted() { add(name, .event, eventCounts[name]) }
        return VolumeReport(site: site, interval: interval, from: Timestamp.formatRFC3339(layout.first), to: Timestamp.formatRFC3339(layout.to),
                            segment: segment?.description, series: series)
    }
}
