/// The pieces of a page URL that enrichment needs, parsed without Foundation's `URL`
/// (which is slow and rejects some real-world URLs browsers happily send).
public struct URLParts: Sendable, Equatable {
    /// Lower-cased host without a leading `www.`; empty for a bare path.
    public var host: String
    /// The path without query or fragment; `/` when the URL has none.
    public var path: String
    public var query: [(String, String)]

    public static func == (a: URLParts, b: URLParts) -> Bool {
        a.host == b.host && a.path == b.path && a.query.map { $0.0 + "=" + $0.1 } == b.query.map { $0.0 + "=" + $0.1 }
    }

    public init(_ url: String) {
        var rest = Substring(url)
        if let fragment = rest.firstIndex(of: "#") { rest = rest[..<fragment] }
        var queryText: Substring = ""
        if let q = rest.firstIndex(of: "?") {
            queryText = rest[rest.index(after: q)...]
            rest = rest[..<q]
        }
        var host: Substring = ""
        if let scheme = rest.range(of: "://") {
            let afterScheme = rest[scheme.upperBound...]
            let hostEnd = afterScheme.firstIndex(of: "/") ?? afterScheme.endIndex
            host = afterScheme[..<hostEnd]
            if let at = host.lastIndex(of: "@") { host = host[host.index(after: at)...] }
            if let colon = host.lastIndex(of: ":"), !host.hasPrefix("[") { host = host[..<colon] }
            rest = afterScheme[hostEnd...]
        }
        var lowered = host.lowercased()
        if lowered.hasPrefix("www.") { lowered.removeFirst(4) }
        self.host = lowered
        self.path = rest.isEmpty ? "/" : String(rest)
        self.query = queryText.split(separator: "&").map { pair in
            if let eq = pair.firstIndex(of: "=") {
                return (URLParts.percentDecode(pair[..<eq]), URLParts.percentDecode(pair[pair.index(after: eq)...]))
            }
            return (URLParts.percentDecode(pair), "")
        }
    }

    public func queryValue(_ name: String) -> String? {
        query.first { $0.0 == name }?.1
    }

    static func percentDecode(_ text: Substring) -> String {
        guard text.contains("%") || text.contains("+") else { return String(text) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var it = Array(text.utf8)[...]
        while let byte = it.popFirst() {
            if byte == UInt8(ascii: "+") {
                bytes.append(0x20)
            } else if byte == UInt8(ascii: "%"), it.count >= 2,
                      let value = UInt8(String(decoding: it.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(value)
                it = it.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
