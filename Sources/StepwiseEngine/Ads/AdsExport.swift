import Foundation
import StepwiseCore
import StepwisePlan

/// An upload file for an ad platform, and what could not go in it.
public struct AdsExport: Sendable, Equatable {
    public var platform: AdsExportQuery.Platform
    /// Google: the offline click conversions CSV; Meta: a Conversions API request body.
    public var body: String
    public var contentType: String
    public var exported: Int
    /// Conversions left out because the person had no usable click id before converting.
    public var skipped: Int

    /// One line for a person: how many went in, how many did not and why.
    public var summary: String {
        let click = platform == .google ? "a gclid" : "an fbclid"
        return "\(exported) conversion\(exported == 1 ? "" : "s") exported; \(skipped) skipped without \(click) in the 90 days before converting"
    }
}

/// One counted completion to upload: who (their label and ids, with the clicks seen on their
/// visits), when, its value, and the event's URL and props (as sent: only a Meta upload reads them).
public struct AdsConversion: Sendable {
    public var label: String
    public var identity: PersonIdentity
    public var time: Int64
    public var value: Double?
    public var url: String?
    public var props: String

    public init(label: String, identity: PersonIdentity, time: Int64, value: Double?, url: String?, props: String) {
        self.label = label
        self.identity = identity
        self.time = time
        self.value = value
        self.url = url
        self.props = props
    }
}

/// Builds `AdsExport`s: conversions come from a store, click ids from its person directory.
///
/// Google (offline click conversions): `Google Click ID, Conversion Name, Conversion Time,
/// Conversion Value, Conversion Currency`, the time as `yyyy-MM-dd HH:mm:ss±hh:mm` in the
/// plan's time zone. Meta (Conversions API): `{"data": [...]}` with `event_name`, `event_time`
/// (Unix seconds), `action_source: website`, `event_source_url`, `event_id` (stable, so a
/// re-upload deduplicates), `user_data` (`external_id` SHA-256 of the person id, `fbc` built
/// from the click, `fbp` when the event carried one, `client_user_agent` of the click's visit)
/// and `custom_data` (`value`, `currency`).
public enum AdsExporter {
    /// The definition's index in the plan.
    public static func definition(of query: AdsExportQuery) throws(PredictQuery.Invalid) -> Int {
        guard let d = query.plan.conversions.firstIndex(where: { $0.name == query.conversion }) else {
            throw PredictQuery.Invalid(field: "conversion", reason: "'\(query.conversion)' is not a definition of the plan")
        }
        return d
    }

    public static func export(_ query: AdsExportQuery, in table: EventTable, directory: any PersonDirectory) throws -> AdsExport {
        let d = try definition(of: query)
        let hasValue = query.plan.conversions[d].value != nil
        let context = ScanContext(table: table, plan: query.plan, from: query.from, to: query.to, includeBots: query.includeBots, segments: [])
        let d32 = Int32(d)
        let matches = context.mapPersons(site: query.site, { [(key: UInt32, time: Int64, value: Double?, event: Int)]() }) { list, person in
            for match in person.matches where match.definition == d32 && match.counted {
                list.append((table.personKey[person.person], match.time, hasValue ? match.value : nil, Int(match.event)))
            }
        }.joined()
        let identities = try directory.identities(of: Array(Set(matches.map(\.key))).sorted())
        let conversions = matches.map { match in
            let identity = identities[match.key] ?? PersonIdentity(person: PersonLabel.fallback(match.key), user: nil, clickIds: [:])
            let url = table.url[match.event]
            return AdsConversion(label: PersonRanking.label(key: match.key, identity), identity: identity, time: match.time, value: match.value,
                                 url: url == 0 ? nil : table.strings[Int(url)], props: table.strings[Int(table.props[match.event])])
        }
        return render(query, conversions)
    }

    /// The upload from a store's conversions, in time order (ties by person label, so every
    /// store lists them alike).
    public static func render(_ query: AdsExportQuery, _ conversions: [AdsConversion]) -> AdsExport {
        let plan = query.plan
        let conversions = conversions.sorted { a, b in
            a.time != b.time ? a.time < b.time : Array(a.label.utf8).lexicographicallyPrecedes(Array(b.label.utf8))
        }
        let name = query.platformName ?? query.conversion
        let currency = plan.currency
        var exported = 0, skipped = 0
        switch query.platform {
        case .google:
            var rows: [[String]] = []
            for conversion in conversions {
                guard let click = conversion.identity.click("gclid", before: conversion.time, maxAge: AdsExportQuery.clickWindowMillis)
                else { skipped += 1; continue }
                rows.append([click.value, name, Self.localTime(conversion.time, plan.calendar),
                             conversion.value.map(Self.amount) ?? "", conversion.value == nil ? "" : currency ?? ""])
                exported += 1
            }
            let csv = TabularText.csv(header: ["Google Click ID", "Conversion Name", "Conversion Time", "Conversion Value", "Conversion Currency"],
                                      rows: rows)
            return AdsExport(platform: .google, body: csv, contentType: "text/csv; charset=utf-8", exported: exported, skipped: skipped)
        case .meta:
            var events: [JSONValue] = []
            for conversion in conversions {
                let identity = conversion.identity
                guard let click = identity.click("fbclid", before: conversion.time, maxAge: AdsExportQuery.clickWindowMillis)
                else { skipped += 1; continue }
                var user = JSONObject()
                user.append("external_id", .array([.string(HashedIdentifier.sha256Hex(identity.person))]))
                user.append("fbc", .string("fb.1.\(click.time).\(click.value)"))
                let props = PropsCache.object(conversion.props)
                if case .string(let fbp)? = props["fbp"] ?? props["_fbp"] { user.append("fbp", .string(fbp)) }
                if let agent = click.userAgent { user.append("client_user_agent", .string(agent)) }
                var event = JSONObject()
                event.append("event_name", .string(name))
                event.append("event_time", .number(Double(Timestamp.floorDivMod(conversion.time, 1000).0)))
                event.append("action_source", .string("website"))
                if let url = conversion.url { event.append("event_source_url", .string(url)) }
                event.append("event_id", .string(String(HashedIdentifier.sha256Hex("\(query.site)|\(identity.person)|\(query.conversion)|\(conversion.time)").prefix(32))))
                event.append("user_data", .object(user))
                if let value = conversion.value {
                    var custom = JSONObject()
                    custom.append("value", .number(value))
                    if let currency { custom.append("currency", .string(currency)) }
                    event.append("custom_data", .object(custom))
                }
                events.append(.object(event))
                exported += 1
            }
            var body = JSONObject()
            body.append("data", .array(events))
            return AdsExport(platform: .meta, body: JSONWriter.write(.object(body)) + "\n", contentType: "application/json",
                             exported: exported, skipped: skipped)
        }
    }

    /// `2026-11-20 14:03:00+11:00`: the local wall time and its UTC offset.
    static func localTime(_ t: Int64, _ calendar: LocalCalendar) -> String {
        let offset = calendar.offset(at: t)
        let wall = Timestamp.formatRFC3339(t + offset)
        let minutes = abs(offset) / 60_000
        let sign = offset < 0 ? "-" : "+"
        func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return String(wall.prefix(10)) + " " + String(wall.dropFirst(11).prefix(8)) + "\(sign)\(two(minutes / 60)):\(two(minutes % 60))"
    }

    /// An amount with two decimals, as both platforms show currency.
    static func amount(_ value: Double) -> String {
        let cents = Int64((value * 100).rounded())
        let whole = abs(cents) / 100, rest = abs(cents) % 100
        return (cents < 0 ? "-" : "") + "\(whole)." + (rest < 10 ? "0\(rest)" : "\(rest)")
    }
}
