/// Durations in a plan: a whole number and a unit, `45s`, `30m`, `2h`, `7d`, `1w`.
public enum PlanDuration {
    public static func millis(_ text: String) -> Int64? {
        guard let unit = text.last, let amount = Int64(text.dropLast()), amount >= 0 else { return nil }
        let scale: Int64
        switch unit {
        case "s": scale = 1000
        case "m": scale = 60_000
        case "h": scale = 3_600_000
        case "d": scale = 86_400_000
        case "w": scale = 604_800_000
        default: return nil
        }
        let (value, overflow) = amount.multipliedReportingOverflow(by: scale)
        return overflow ? nil : value
    }
}

extension PlanDuration {
    /// The shortest plan spelling of a duration: `7d`, `90m`, `45s` (`1500ms` below a second).
    public static func text(millis: Int64) -> String {
        for (unit, scale) in [("w", Int64(604_800_000)), ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)]
        where millis >= scale && millis % scale == 0 {
            return "\(millis / scale)\(unit)"
        }
        return "\(millis)ms"
    }
}
