/// The answer to a `ScoreQuery`. Encoded with snake_case keys (`ReportEncoding`).
public struct EngagementScoreReport: Sendable, Equatable, Codable {
    public var site: String
    public var asOf: String
    public var halfLifeDays: Double
    public var learned: Bool
    public var values: [MicroPoints]
    /// Persons active in the range, and those with a score above 0.
    public var persons: Int
    public var scoredPersons: Int
    public var bands: [ScoreBand]
    /// The scores above 0 in ten equal-width bins from 0 to the highest score.
    public var histogram: [ScoreBin]
    public var top: [ScoredPerson]
    /// How well scores at a cut-off rank who converts after it; nil without a macro.
    public var ranking: ScoreRanking?
}

public struct MicroPoints: Sendable, Equatable, Codable {
    public var name: String
    /// Points per completion; nil when each completion carries its own value (a prop).
    public var points: Double?
    public var source: ScoreWeights.Source
}

/// Cold, warm or hot. Cut-offs are the median and the 90th percentile of the scores above 0,
/// so the bands follow the site's own traffic: hot is its top tenth of scored persons.
public struct ScoreBand: Sendable, Equatable, Codable {
    public var name: String
    public var minScore: Double
    /// Exclusive upper bound; nil for the top band.
    public var belowScore: Double?
    public var persons: Int
}

/// Persons whose score is in `[minScore, belowScore)` (the last bin includes its upper end).
public struct ScoreBin: Sendable, Equatable, Codable {
    public var minScore: Double
    public var belowScore: Double
    public var persons: Int

    /// Persons per tenth of (0, highest]: a score's bin is `floor(score / width)`, the top
    /// one included in the last. Stores that count in SQL use the same arithmetic.
    static func counts(_ scores: [Double], highest: Double, count: Int = 10) -> [Int] {
        guard highest > 0 else { return [] }
        let width = highest / Double(count)
        var persons = [Int](repeating: 0, count: count)
        for score in scores where score > 0 { persons[min(Int(score / width), count - 1)] += 1 }
        return persons
    }

    /// The bins of `counts` persons each over (0, highest].
    static func bins(highest: Double, counts persons: [Int]) -> [ScoreBin] {
        guard highest > 0 else { return [] }
        let width = highest / Double(persons.count)
        return persons.enumerated().map { k, n in
            ScoreBin(minScore: Double(k) * width, belowScore: k == persons.count - 1 ? highest : Double(k + 1) * width, persons: n)
        }
    }

    /// Ten bins of equal width over (0, highest score].
    static func bins(_ scores: [Double], count: Int = 10) -> [ScoreBin] {
        guard let highest = scores.max() else { return [] }
        return bins(highest: highest, counts: counts(scores, highest: highest, count: count))
    }
}

/// A person and what made them warm. `person` is their user id once identified, else their
/// visitor id; the backend fills the ids in from storage.
public struct ScoredPerson: Sendable, Equatable, Codable {
    public var person: String
    public var user: String?
    public var score: Double
    public var lastActivity: String
    public var micros: [MicroCount]
    /// The engine's person key, for looking the ids up; not part of the answer.
    @EngineOnly public var key: UInt32

    public init(person: String, user: String?, score: Double, lastActivity: String, micros: [MicroCount], key: UInt32 = 0) {
        self.person = person
        self.user = user
        self.score = score
        self.lastActivity = lastActivity
        self.micros = micros
        self.key = key
    }
}

public struct MicroCount: Sendable, Equatable, Codable {
    public var name: String
    public var completions: Int

    public init(name: String, completions: Int) {
        self.name = name
        self.completions = completions
    }
}

/// Scores taken at `cutoff` over persons active before it who had not converted yet,
/// against whether they reached the macro between the cut-off and the end.
public struct ScoreRanking: Sendable, Equatable, Codable {
    public var macro: String
    public var cutoff: String
    public var persons: Int
    public var converted: Int
    /// Area under the ROC curve: 0.5 is a coin toss, 1 a perfect ranking; nil without both outcomes.
    public var auc: Double?
}
