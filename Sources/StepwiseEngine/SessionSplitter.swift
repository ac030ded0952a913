/// Where sessions begin. Sessions are not stored: every report splits each person's time-
/// ordered run as it scans, with the timeout of the site's plan, so changing the plan's
/// `session_timeout` changes every report at once and late events never leave stale sessions.
public enum SessionSplitter {
    /// SPEC §1: a gap over 30 minutes starts a new session.
    public static let defaultTimeoutMillis: Int64 = 30 * 60 * 1000

    /// True when an event at `time` opens a session, given the person's previous event
    /// (`Int64.min` for the first).
    @inline(__always)
    public static func startsSession(_ time: Int64, after previous: Int64, timeout: Int64) -> Bool {
        previous == .min || time - previous > timeout
    }
}
