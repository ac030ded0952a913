#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// CIDR blocks an operator lists as data-centre traffic (SPEC §3): a request from one of
/// them is a bot. Addresses are compared and dropped; they are never stored.
public struct NetworkList: Sendable, Equatable {
    struct Block: Sendable, Equatable {
        var address: [UInt8]  // 16 bytes; IPv4 as ::ffff:a.b.c.d
        var prefix: Int       // in bits, of the 16-byte form
    }

    public struct InvalidBlock: Error, Sendable, Equatable, CustomStringConvertible {
        public var text: String
        public var description: String { "'\(text)' is not a CIDR block such as 203.0.113.0/24 or 2001:db8::/32" }
    }

    var blocks: [Block] = []

    public init(_ cidrs: [String]) throws(InvalidBlock) {
        for text in cidrs {
            let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
            guard let address = Self.bytes(parts[0]) else { throw InvalidBlock(text: text) }
            let isV4 = !parts[0].contains(":")
            let maximum = isV4 ? 32 : 128
            guard let bits = parts.count == 2 ? Int(parts[1]) : maximum, (0...maximum).contains(bits) else { throw InvalidBlock(text: text) }
            blocks.append(Block(address: address, prefix: isV4 ? 96 + bits : bits))
        }
    }

    public var isEmpty: Bool { blocks.isEmpty }

    public func contains(_ address: String) -> Bool {
        guard !blocks.isEmpty, let bytes = Self.bytes(address) else { return false }
        return blocks.contains { block in
            var remaining = block.prefix
            for i in 0..<16 where remaining > 0 {
                let mask: UInt8 = remaining >= 8 ? 0xFF : ~(0xFF >> UInt8(remaining))
                if bytes[i] & mask != block.address[i] & mask { return false }
                remaining -= 8
            }
            return true
        }
    }

    /// 16 bytes for an IPv4 or IPv6 address, IPv4 mapped into IPv6.
    static func bytes(_ text: String) -> [UInt8]? {
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return [UInt8](repeating: 0, count: 10) + [0xFF, 0xFF] + withUnsafeBytes(of: &v4) { Array($0) }
        }
        return nil
    }
}
