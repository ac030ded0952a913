/// Region (ISO 3166 country code) from the browser's IANA time zone: location without an
/// IP database, and without storing anything that identifies the visitor.
///
/// Zones shared by several countries map to the largest; unknown zones fall back to their
/// area (`Europe`, `America`), which is still a useful segment.
public enum RegionResolver {
    public static let unknown = "(unknown)"

    public static func region(forTimezone zone: String?) -> String {
        guard let zone, !zone.isEmpty else { return unknown }
        if let code = countries[zone] { return code }
        if let slash = zone.firstIndex(of: "/") { return String(zone[..<slash]) }
        return zone == "UTC" || zone == "Etc/UTC" || zone == "GMT" ? unknown : zone
    }

    static let countries: [String: String] = {
        var table: [String: String] = [:]
        let entries: [(String, [String])] = [
            ("AU", ["Australia/Sydney", "Australia/Melbourne", "Australia/Brisbane", "Australia/Perth", "Australia/Adelaide",
                    "Australia/Hobart", "Australia/Darwin", "Australia/Canberra", "Australia/ACT", "Australia/NSW", "Australia/Victoria"]),
            ("NZ", ["Pacific/Auckland", "Pacific/Chatham"]),
            ("US", ["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "America/Phoenix",
                    "America/Anchorage", "Pacific/Honolulu", "America/Detroit", "America/Indiana/Indianapolis", "America/Boise",
                    "America/Kentucky/Louisville", "US/Eastern", "US/Central", "US/Mountain", "US/Pacific"]),
            ("CA", ["America/Toronto", "America/Vancouver", "America/Edmonton", "America/Winnipeg", "America/Halifax",
                    "America/St_Johns", "America/Regina", "America/Montreal"]),
            ("MX", ["America/Mexico_City", "America/Monterrey", "America/Tijuana", "America/Cancun"]),
            ("BR", ["America/Sao_Paulo", "America/Manaus", "America/Fortaleza", "America/Recife", "America/Bahia"]),
            ("AR", ["America/Argentina/Buenos_Aires", "America/Buenos_Aires"]),
            ("CL", ["America/Santiago"]), ("CO", ["America/Bogota"]), ("PE", ["America/Lima"]),
            ("GB", ["Europe/London", "GB"]), ("IE", ["Europe/Dublin"]), ("FR", ["Europe/Paris"]), ("DE", ["Europe/Berlin"]),
            ("ES", ["Europe/Madrid", "Atlantic/Canary"]), ("IT", ["Europe/Rome"]), ("NL", ["Europe/Amsterdam"]),
            ("BE", ["Europe/Brussels"]), ("CH", ["Europe/Zurich"]), ("AT", ["Europe/Vienna"]), ("SE", ["Europe/Stockholm"]),
            ("NO", ["Europe/Oslo"]), ("DK", ["Europe/Copenhagen"]), ("FI", ["Europe/Helsinki"]), ("PL", ["Europe/Warsaw"]),
            ("CZ", ["Europe/Prague"]), ("PT", ["Europe/Lisbon"]), ("GR", ["Europe/Athens"]), ("RO", ["Europe/Bucharest"]),
            ("HU", ["Europe/Budapest"]), ("UA", ["Europe/Kyiv", "Europe/Kiev"]), ("RU", ["Europe/Moscow", "Asia/Yekaterinburg", "Asia/Novosibirsk", "Asia/Vladivostok"]),
            ("TR", ["Europe/Istanbul"]), ("IL", ["Asia/Jerusalem", "Asia/Tel_Aviv"]), ("AE", ["Asia/Dubai"]),
            ("SA", ["Asia/Riyadh"]), ("IN", ["Asia/Kolkata", "Asia/Calcutta"]), ("PK", ["Asia/Karachi"]),
            ("BD", ["Asia/Dhaka"]), ("CN", ["Asia/Shanghai", "Asia/Chongqing", "Asia/Urumqi"]), ("HK", ["Asia/Hong_Kong"]),
            ("TW", ["Asia/Taipei"]), ("JP", ["Asia/Tokyo"]), ("KR", ["Asia/Seoul"]), ("SG", ["Asia/Singapore"]),
            ("MY", ["Asia/Kuala_Lumpur"]), ("TH", ["Asia/Bangkok"]), ("VN", ["Asia/Ho_Chi_Minh", "Asia/Saigon"]),
            ("ID", ["Asia/Jakarta", "Asia/Makassar"]), ("PH", ["Asia/Manila"]), ("ZA", ["Africa/Johannesburg"]),
            ("NG", ["Africa/Lagos"]), ("KE", ["Africa/Nairobi"]), ("EG", ["Africa/Cairo"]), ("MA", ["Africa/Casablanca"]),
        ]
        for (code, zones) in entries {
            for zone in zones { table[zone] = code }
        }
        return table
    }()
}
