/// A shell-style pattern for paths, URLs and referrers: `*` any run of characters, `?` one
/// character, `[abc]` / `[a-z]` / `[!a]` a class. Anchored at both ends.
public struct Glob: Sendable, Equatable, CustomStringConvertible {
    enum Token: Sendable, Equatable {
        case literal(Character)
        case any
        case one
        case set([ClosedRange<Character>], negated: Bool)
    }

    public struct Invalid: Error, Sendable, Equatable {
        public var reason: String
    }

    public let pattern: String
    let tokens: [Token]

    public var description: String { pattern }

    public init(_ pattern: String) throws(Invalid) {
        self.pattern = pattern
        var tokens: [Token] = []
        var characters = Array(pattern)[...]
        while let c = characters.popFirst() {
            switch c {
            case "*": if tokens.last != .any { tokens.append(.any) }
            case "?": tokens.append(.one)
            case "[":
                var negated = false
                if characters.first == "!" || characters.first == "^" { negated = true; characters.removeFirst() }
                var ranges: [ClosedRange<Character>] = []
                var closed = false
                while let d = characters.popFirst() {
                    if d == "]", !ranges.isEmpty { closed = true; break }
                    if characters.count >= 2, characters.first == "-", characters[characters.startIndex + 1] != "]" {
                        characters.removeFirst()
                        let upper = characters.removeFirst()
                        guard d <= upper else { throw Invalid(reason: "range \(d)-\(upper) is reversed") }
                        ranges.append(d...upper)
                    } else {
                        ranges.append(d...d)
                    }
                }
                guard closed else { throw Invalid(reason: "'[' is never closed") }
                tokens.append(.set(ranges, negated: negated))
            case "\\":
                guard let escaped = characters.popFirst() else { throw Invalid(reason: "a trailing '\\' escapes nothing") }
                tokens.append(.literal(escaped))
            default: tokens.append(.literal(c))
            }
        }
        self.tokens = tokens
    }

    public static func == (a: Glob, b: Glob) -> Bool { a.pattern == b.pattern }

    /// True when the whole text matches. Linear backtracking on the last `*`.
    public func matches(_ text: String) -> Bool {
        let s = Array(text)
        var i = 0, t = 0
        var star = -1, starText = 0
        while i < s.count {
            if t < tokens.count {
                switch tokens[t] {
                case .literal(let c) where c == s[i]: i += 1; t += 1; continue
                case .one: i += 1; t += 1; continue
                case .set(let ranges, let negated) where ranges.contains { $0.contains(s[i]) } != negated: i += 1; t += 1; continue
                case .any: star = t; starText = i; t += 1; continue
                default: break
                }
            }
            guard star >= 0 else { return false }
            t = star + 1
            starText += 1
            i = starText
        }
        while t < tokens.count, tokens[t] == .any { t += 1 }
        return t == tokens.count
    }
}

extension Glob {
    /// The same pattern as an anchored RE2 regular expression, for stores that match in SQL
    /// (ClickHouse `match`): `(?s)` so `*` and `?` cross newlines as they do here.
    public var regularExpression: String {
        var out = "(?s)\\A"
        func escaped(_ c: Character) -> String {
            c.isLetter || c.isNumber || c == "_" || c == "/" ? String(c) : c.unicodeScalars.map { "\\x{\(String($0.value, radix: 16))}" }.joined()
        }
        for token in tokens {
            switch token {
            case .literal(let c): out += escaped(c)
            case .any: out += ".*"
            case .one: out += "."
            case .set(let ranges, let negated):
                out += negated ? "[^" : "["
                for range in ranges {
                    out += range.lowerBound == range.upperBound ? escaped(range.lowerBound) : "\(escaped(range.lowerBound))-\(escaped(range.upperBound))"
                }
                out += "]"
            }
        }
        return out + "\\z"
    }
}
