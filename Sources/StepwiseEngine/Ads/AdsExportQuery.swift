import Foundation
import StepwisePlan

/// Conversions to upload to an ad platform for offline import (SPEC §4.8).
public struct AdsExportQuery: Sendable {
    public enum Platform: String, Sendable, CaseIterable {
        case google, meta
    }

    public var site: String
    public var plan: TrackingPlan
    public var platform: Platform
    /// The definition whose counted completions are exported (a macro, or the micro bid on).
    public var conversion: String
    /// The name the platform knows the conversion by (Google's conversion action, Meta's
    /// event name); the definition's name by default.
    public var platformName: String?
    public var from: Int64?
    public var to: Int64?
    public var includeBots: Bool

    /// Google imports clicks up to 90 days old; Meta's `fbc` is honoured for as long.
    public static let clickWindowMillis: Int64 = 90 * 86_400_000

    public init(site: String, plan: TrackingPlan, platform: Platform, conversion: String, platformName: String? = nil,
                from: Int64? = nil, to: Int64? = nil, includeBots: Bool = false) {
        self.site = site
        self.plan = plan
        self.platform = platform
        self.conversion = conversion
        self.platformName = platformName
        self.from = from
        self.to = to
        self.includeBots = includeBots
    }

    /// A query from the text options both the CLI and the API take.
    public static func fromOptions(
        site: String, plan: TrackingPlan, from: Int64?, to: Int64?, includeBots: Bool,
        platform: String?, conversion: String?, platformName: String?
    ) throws(PredictQuery.Invalid) -> AdsExportQuery {
        guard let platform else { throw PredictQuery.Invalid(field: "platform", reason: "is required: google or meta") }
        guard let chosen = Platform(rawValue: platform) else {
            throw PredictQuery.Invalid(field: "platform", reason: "'\(platform)' is not a platform; use google or meta")
        }
        let conversion = try AttributionQuery.macro(conversion, in: plan, field: "conversion")
        if let platformName, platformName.trimmingCharacters(in: .whitespaces).isEmpty || platformName.utf8.count > 100 {
            throw PredictQuery.Invalid(field: "name", reason: "must be 1 to 100 characters")
        }
        return AdsExportQuery(site: site, plan: plan, platform: chosen, conversion: conversion, platformName: platformName,
                              from: from, to: to, includeBots: includeBots)
    }
}
