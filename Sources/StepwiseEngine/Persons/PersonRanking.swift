/// Lists persons warmest first, ties by label (`u:USER`, `v:VISITOR`, compared as bytes).
///
/// The label is what every store knows a person by; the engine's own person numbers are not,
/// so ordering ties by them would make the embedded and the ClickHouse backend list different
/// persons when a tie straddles a `top` or `limit` cut. Only the candidates that can make the
/// cut are looked up: the first `limit` and everyone tied with the last of them.
enum PersonRanking {
    /// `ranked` sorted by score, highest first (ties in any order); the first `limit` (all when
    /// nil) with their identities, ties ordered by label.
    static func top<Entry>(
        _ ranked: [Entry], limit: Int?, score: (Entry) -> Double, key: (Entry) -> UInt32, directory: (any PersonDirectory)?
    ) throws -> [(entry: Entry, identity: PersonIdentity)] {
        let limit = min(max(0, limit ?? ranked.count), ranked.count)
        guard limit > 0 else { return [] }
        var end = limit
        while end < ranked.count, score(ranked[end]) == score(ranked[limit - 1]) { end += 1 }
        let candidates = ranked[..<end]
        let identities = try (directory ?? NoDirectory()).identities(of: candidates.map(key))
        let labelled = candidates.map { entry in
            let k = key(entry)
            let identity = identities[k] ?? PersonIdentity(person: PersonLabel.fallback(k), user: nil, clickIds: [:])
            return (entry: entry, identity: identity, label: Array(label(key: k, identity).utf8))
        }
        // Stable within equal scores only through the label, so sort the whole candidate list.
        let sorted = labelled.sorted { a, b in
            let (sa, sb) = (score(a.entry), score(b.entry))
            return sa != sb ? sa > sb : a.label.lexicographicallyPrecedes(b.label)
        }
        return sorted.prefix(limit).map { ($0.entry, $0.identity) }
    }

    /// `u:` and the user id once identified, else `v:` and the visitor id: the ClickHouse
    /// backend's person column.
    static func label(key: UInt32, _ identity: PersonIdentity) -> String {
        key & 1 == 1 ? "u:" + (identity.user ?? identity.person) : "v:" + identity.person
    }
}
