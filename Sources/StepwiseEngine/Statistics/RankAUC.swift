/// The area under the ROC curve of a score, as the Mann–Whitney probability that a random
/// positive outranks a random negative (ties count one half), the way scikit-learn's
/// `roc_auc_score` computes it.
enum RankAUC {
    /// `groups`: distinct scores with how many positives and negatives have each. nil without
    /// both positives and negatives.
    static func auc(_ groups: [(score: Double, positives: Int, negatives: Int)]) -> Double? {
        let sorted = groups.sorted { $0.score < $1.score }
        let positives = sorted.reduce(0) { $0 + $1.positives }, negatives = sorted.reduce(0) { $0 + $1.negatives }
        guard positives > 0, negatives > 0 else { return nil }
        var below = 0.0, wins = 0.0
        var k = 0
        while k < sorted.count {
            // Equal scores form one tie group.
            var tiedPositives = 0, tiedNegatives = 0
            let score = sorted[k].score
            while k < sorted.count, sorted[k].score == score {
                tiedPositives += sorted[k].positives
                tiedNegatives += sorted[k].negatives
                k += 1
            }
            wins += Double(tiedPositives) * (below + 0.5 * Double(tiedNegatives))
            below += Double(tiedNegatives)
        }
        return wins / (Double(positives) * Double(negatives))
    }
}
