/// The pieces of a page URL that enrichment needs, parsed over UTF-8 bytes without
/// Foundation's `URL` (slow on the ingest path, and it rejects URLs browsers happily send).
public struct URLParts: Sendable, Equatable {
    /// Lower-cased host without a leading `www.` or port; empty for a bare path.
    public var host: String
    /// The path without query or fragment; `/` when the URL has none.
    public var path: String
    /// Query parameters in order, percent-decoded (`+` is a space).
    public var query: [QueryItem]

    public struct QueryItem: Sendable, Equatable {
        public var name: String
        public var value: String
    }

    public init(_ url: String) {
        var text = url
        (host, path, query) = text.withUTF8 { Self.parse($0) }
    }

    private static func parse(_ b: UnsafeBufferPointer<UInt8>) -> (String, String, [QueryItem]) {
        var end = b.count
        if let hash = b.firstIndex(of: UInt8(ascii: "#")) { end = hash }
        var queryStart = end
        if let question = b[..<end].firstIndex(of: UInt8(ascii: "?")) { queryStart = question }
        var pathStart = 0
        var host = ""
        // "scheme://authority/path": the authority runs to the first "/" after "://".
        if let colon = b[..<queryStart].firstIndex(of: UInt8(ascii: ":")), colon + 2 < queryStart,
           b[colon + 1] == UInt8(ascii: "/"), b[colon + 2] == UInt8(ascii: "/") {
            let authorityStart = colon + 3
            let authorityEnd = b[authorityStart..<queryStart].firstIndex(of: UInt8(ascii: "/")) ?? queryStart
            var hostStart = authorityStart
            if let at = b[authorityStart..<authorityEnd].lastIndex(of: UInt8(ascii: "@")) { hostStart = at + 1 }
            var hostEnd = authorityEnd
            if hostStart < authorityEnd, b[hostStart] != UInt8(ascii: "["),
               let port = b[hostStart..<authorityEnd].lastIndex(of: UInt8(ascii: ":")) {
                hostEnd = port
            }
            if hostEnd - hostStart >= 4, b[hostStart] | 0x20 == UInt8(ascii: "w"), b[hostStart + 1] | 0x20 == UInt8(ascii: "w"),
               b[hostStart + 2] | 0x20 == UInt8(ascii: "w"), b[hostStart + 3] == UInt8(ascii: ".") {
                hostStart += 4
            }
            host = String(unsafeUninitializedCapacity: max(hostEnd - hostStart, 0)) { out in
                for i in hostStart..<hostEnd {
                    let c = b[i]
                    out[i - hostStart] = c >= 0x41 && c <= 0x5A ? c | 0x20 : c
                }
                return max(hostEnd - hostStart, 0)
            }
            pathStart = authorityEnd
        }
        let path = pathStart < queryStart ? String(decoding: UnsafeBufferPointer(rebasing: b[pathStart..<queryStart]), as: UTF8.self) : "/"
        var items: [QueryItem] = []
        var cursor = queryStart + 1
        while cursor < end {
            let pairEnd = b[cursor..<end].firstIndex(of: UInt8(ascii: "&")) ?? end
            if pairEnd > cursor {
                let equals = b[cursor..<pairEnd].firstIndex(of: UInt8(ascii: "="))
                let name = decode(UnsafeBufferPointer(rebasing: b[cursor..<(equals ?? pairEnd)]))
                let value = equals.map { decode(UnsafeBufferPointer(rebasing: b[($0 + 1)..<pairEnd])) } ?? ""
                items.append(QueryItem(name: name, value: value))
            }
            cursor = pairEnd + 1
        }
        return (host, path, items)
    }

    public func queryValue(_ name: String) -> String? {
        query.first { $0.name == name }?.value
    }

    /// Percent-decoding; `+` is a space, as in HTML form encoding.
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        guard bytes.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) else {
            return String(decoding: bytes, as: UTF8.self)
        }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            if byte == UInt8(ascii: "+") {
                out.append(0x20)
            } else if byte == UInt8(ascii: "%"), i + 2 < bytes.count, let high = hex(bytes[i + 1]), let low = hex(bytes[i + 2]) {
                out.append(high << 4 | low)
                i += 2
            } else {
                out.append(byte)
            }
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x41...0x46: c - 0x41 + 10
        case 0x61...0x66: c - 0x61 + 10
        default: nil
        }
    }
}
