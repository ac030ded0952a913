import Hummingbird

/// Per-site write keys: a request may carry one key (`Authorization: Bearer`, `X-Stepwise-Key`
/// or `?key=`), and it must match the key of every site it writes to that has one.
struct WriteKeyCheck: Sendable {
    /// Keys from `--write-key`; a registered site's own key applies too.
    let keys: [String: String]
    var registry: SiteRegistry?

    func expectedKey(_ site: String) -> String? { keys[site] ?? registry?.site(site)?.writeKey }

    func providedKey(_ request: Request) -> String? {
        if let header = request.headers[.authorization], header.hasPrefix("Bearer ") { return String(header.dropFirst(7)) }
        if let field = request.headers.first(where: { $0.name.canonicalName == "x-stepwise-key" }) { return field.value }
        return request.uri.queryParameters.get("key")
    }

    /// Throws 401 naming the first site whose key is missing or wrong.
    func authorize(_ request: Request, sites: some Sequence<String>) throws {
        let provided = providedKey(request)
        for site in sites {
            guard let expected = expectedKey(site) else { continue }
            guard let provided, constantTimeEqual(provided, expected) else {
                throw APIError(.unauthorized, code: "unauthorized",
                               provided == nil ? "site \(site) requires a write key" : "the write key is not valid for site \(site)")
            }
        }
    }
}

/// Compares secrets in time that does not depend on where they differ.
func constantTimeEqual(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8), y = Array(b.utf8)
    var difference = UInt8(truncatingIfNeeded: x.count ^ y.count)
    for i in 0..<max(x.count, y.count) {
        difference |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
    }
    return difference == 0
}
