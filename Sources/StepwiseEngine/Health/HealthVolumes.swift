import StepwiseCore

/// One site's counts as `HealthCalculator` judges them, keyed by name rather than by a
/// table's string ids, so the embedded store (from its `VolumeIndex`) and ClickHouse (from
/// SQL) hand the calculator the same thing, and parity can compare it directly.
public struct HealthVolumes: Sendable, Equatable {
    /// A counted series: an event name, or a watched definition by its index in
    /// `HealthQuery.watchedDefinitions(of:)`.
    public enum Series: Hashable, Sendable {
        case event(String)
        case definition(Int)
    }

    /// Human events (no bot signal of their own) of one series in one UTC hour, device and browser.
    public struct Cell: Hashable, Sendable {
        public var series: Series
        /// Hours since the Unix epoch (UTC).
        public var hour: Int32
        public var device: UInt8
        public var browser: UInt8

        public init(series: Series, hour: Int32, device: UInt8, browser: UInt8) {
            self.series = series
            self.hour = hour
            self.device = device
            self.browser = browser
        }
    }

    /// The JSON type one event's prop arrived with, in the baseline weeks or the recent week.
    public struct PropType: Hashable, Sendable {
        public var event: String
        public var key: String
        /// number, string, boolean, array, object, null.
        public var type: String
        public var recent: Bool

        public init(event: String, key: String, type: String, recent: Bool) {
            self.event = event
            self.key = key
            self.type = type
            self.recent = recent
        }
    }

    public struct PropTally: Sendable, Equatable {
        public var events: Int
        /// The first day (since the Unix epoch, UTC) it was seen.
        public var since: Int32

        public init(events: Int, since: Int32) {
            self.events = events
            self.since = since
        }
    }

    /// The hour of the site's first event ever (bots included): history starts the day after.
    /// Nil when the site has no events.
    public var firstHour: Int32?
    /// Every event and those with a bot signal, per hour of the window.
    public var traffic: [Int32: VolumeIndex.Traffic] = [:]
    public var counts: [Cell: Int32] = [:]
    public var propTypes: [PropType: PropTally] = [:]

    public init(firstHour: Int32? = nil) {
        self.firstHour = firstHour
    }

    /// A site's share of the volumes the embedded store keeps, cut to the query's window;
    /// the index must be watching the plan's definitions (`VolumeIndex.watch`).
    public init(_ query: HealthQuery, index: VolumeIndex, table: EventTable) {
        guard let site = table.siteID(query.site) else { return }
        let window = query.window
        func inWindow(_ hour: Int32) -> Bool {
            let start = Int64(hour) * VolumeIndex.hourMillis
            return start >= window.from && start < window.to
        }
        for (key, traffic) in index.traffic where key.site == site {
            firstHour = min(firstHour ?? key.hour, key.hour)
            if inWindow(key.hour) { self.traffic[key.hour] = traffic }
        }
        for (key, count) in index.counts where key.site == site && inWindow(key.hour) {
            let series: Series = key.series >= 0 ? .event(table.strings[Int(key.series)]) : .definition(Int(-key.series - 1))
            counts[Cell(series: series, hour: key.hour, device: key.device, browser: key.browser)] = count
        }
        let days = query.propTypeDays
        for (key, count) in index.propTypes where key.site == site && key.day >= days.baseline {
            let type = PropType(event: table.strings[Int(key.event)], key: key.key, type: key.type, recent: key.day >= days.recent)
            let known = propTypes[type]
            propTypes[type] = PropTally(events: (known?.events ?? 0) + Int(count), since: min(known?.since ?? key.day, key.day))
        }
    }
}
