import Foundation
import StepwisePlan

/// The plan's audiences with their sizes.
public struct AudienceListReport: Sendable, Equatable, Codable {
    public var site: String
    public var asOf: String
    public var audiences: [AudienceSummary]
}

public struct AudienceSummary: Sendable, Equatable, Codable {
    public var name: String
    /// The rule in words.
    public var rule: String
    public var size: Int
    public var webhook: Bool
}

/// One audience's members, warmest first.
public struct AudienceMembersReport: Sendable, Equatable, Codable {
    public var site: String
    public var audience: String
    public var rule: String
    public var asOf: String
    public var size: Int
    public var members: [AudienceMember]

    public init(site: String, audience: String, rule: String, asOf: String, size: Int, members: [AudienceMember]) {
        self.site = site
        self.audience = audience
        self.rule = rule
        self.asOf = asOf
        self.size = size
        self.members = members
    }
}

/// A member. `person` is the user id once identified, else the visitor id; `clickIds` are
/// the ad click ids seen on the person's visits (gclid, fbclid, ...), for ad-platform uploads.
public struct AudienceMember: Sendable, Equatable, Codable {
    public var person: String
    public var user: String?
    public var score: Double
    public var lastActivity: String
    public var clickIds: [String: String]
    /// The engine's person key, for looking the ids up; not part of the answer.
    @EngineOnly public var key: UInt32

    public init(person: String, user: String?, score: Double, lastActivity: String, clickIds: [String: String], key: UInt32 = 0) {
        self.person = person
        self.user = user
        self.score = score
        self.lastActivity = lastActivity
        self.clickIds = clickIds
        self.key = key
    }
}

extension AudienceMembersReport {
    /// The members as export rows (CSV and the CLI table); click ids as `kind=id` joined by spaces.
    public var exportRows: (header: [String], rows: [[String]]) {
        (["person", "user", "score", "last_activity", "click_ids"],
         members.map { member in
             [member.person, member.user ?? "", String(format: "%.2f", member.score), member.lastActivity,
              member.clickIds.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")]
         })
    }
}

extension AudienceListReport {
    /// The list from the members reports of every audience of the plan, in plan order.
    public init(site: String, plan: TrackingPlan, results: [AudienceMembersReport]) {
        self.site = site
        asOf = results.first?.asOf ?? ""
        audiences = results.map { result in
            AudienceSummary(name: result.audience, rule: result.rule, size: result.size,
                            webhook: plan.audiences.first { $0.name == result.audience }?.webhook != nil)
        }
    }
}
