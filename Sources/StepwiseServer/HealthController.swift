import Foundation
import Hummingbird
import StepwiseCore
import StepwiseEngine
import StepwisePlan
import StepwiseStorage

/// Tracking health (SPEC §4.9): `/health` and the site's `/annotations`.
struct HealthController: Sendable {
    let backend: any ReportBackend
    let reports: ReportController
    let store: EventStore
    let facts: HealthFactsSource

    static let maxAnnotationBytes = 8 << 10

    func addRoutes(to router: Router<StepwiseRequestContext>) {
        router.get("/api/v1/sites/{site}/health") { request, context in
            let (site, plan, filter, parameters) = try self.reports.prepare(request, context, extra: ["days", "weeks", "at"], range: false)
            if !filter.segments.isEmpty {
                throw APIError(.badRequest, code: "unknown_parameter", "health judges every device and browser itself; it takes no segment", field: "segment")
            }
            if parameters.get("include_bots") != nil {
                throw APIError(.badRequest, code: "unknown_parameter", "health counts human events and reports the bot share itself", field: "include_bots")
            }
            let now = try Self.moment(parameters.get("at"))
            var query = try ReportController.checked {
                try HealthQuery.fromOptions(site: site, plan: plan, now: now, days: parameters.get("days"), weeks: parameters.get("weeks"))
            }
            try await self.facts.attach(&query)
            return try Response.json(encoding: try await self.backend.health(query))
        }
        router.get("/api/v1/sites/{site}/volumes") { request, context in
            // `interval` here is hour or day, not the rates series' day or week: it is read apart.
            try self.reports.admin.authorize(request)
            let site = try self.reports.knownSite(context)
            let plan = try self.reports.plan(site)
            let parameters = request.uri.queryParameters
            let filter = try ReportFilter(ReportFilter.pairs(parameters).filter { $0.0 != "interval" },
                                          allowed: ["from", "to", "include_bots", "segment"], calendar: plan.calendar)
            if parameters.get("include_bots") != nil {
                throw APIError(.badRequest, code: "unknown_parameter", "volumes count human events; bot traffic is in /health", field: "include_bots")
            }
            guard filter.segments.count <= 1 else {
                throw APIError(.badRequest, code: "invalid_value", "volumes take one segment (device=… or browser=…)", field: "segment")
            }
            let interval = try Self.interval(parameters.get("interval"))
            let (from, to) = VolumeReader.defaultRange(interval: interval, from: filter.from, to: filter.to,
                                                       now: Int64(Date().timeIntervalSince1970 * 1000))
            let report = try await ReportController.checked {
                try await self.backend.volumes(site: site, plan: plan, interval: interval, from: from, to: to, segment: filter.segments.first)
            }
            return try Response.json(encoding: report)
        }
        router.get("/api/v1/sites/{site}/health/deliveries") { request, context in
            try self.reports.admin.authorize(request)
            let site = try context.parameters.require("site")
            return try Response.json(encoding: ["deliveries": try self.store.deliveries(site: site, audience: "$health")])
        }
        router.get("/api/v1/sites/{site}/annotations") { request, context in
            try self.reports.admin.authorize(request)
            let site = try context.parameters.require("site")
            let parameters = request.uri.queryParameters
            for (key, _) in parameters where !["from", "to"].contains(String(key)) {
                throw APIError(.badRequest, code: "unknown_parameter", "annotations take from and to (RFC 3339)", field: String(key))
            }
            let from = try parameters.get("from").map { try Self.timestamp($0, field: "from") }
            let to = try parameters.get("to").map { try Self.timestamp($0, field: "to") }
            let notes = try await self.facts.annotations(site: site, from: from, to: to).map(AnnotationNote.init)
            return try Response.json(encoding: ["annotations": notes])
        }
        router.post("/api/v1/sites/{site}/annotations") { request, context in
            try self.reports.admin.authorize(request)
            let site = try context.parameters.require("site")
            let body: ByteBuffer
            do { body = try await request.body.collect(upTo: Self.maxAnnotationBytes) } catch {
                throw APIError(.contentTooLarge, code: "body_too_large", "an annotation is at most \(Self.maxAnnotationBytes) bytes")
            }
            let annotation = try Self.annotation(site: site, body: body)
            let stored = try await self.facts.addAnnotation(annotation)
            return try Response.json(encoding: AnnotationNote(stored), status: .created)
        }
    }

    static func interval(_ text: String?) throws -> VolumeReport.Interval {
        guard let text else { return .day }
        guard let interval = VolumeReport.Interval(rawValue: text) else {
            throw APIError(.badRequest, code: "invalid_value", "'\(text)' is not an interval; use hour or day", field: "interval")
        }
        return interval
    }

    static func moment(_ text: String?) throws -> Int64 {
        guard let text else { return Int64(Date().timeIntervalSince1970 * 1000) }
        return try timestamp(text, field: "at")
    }

    static func timestamp(_ text: String, field: String) throws -> Int64 {
        guard let t = Timestamp.parseRFC3339(text) else {
            throw APIError(.badRequest, code: "invalid_value", "'\(text)' is not an RFC 3339 timestamp such as 2026-11-20T09:30:00Z", field: field)
        }
        return t
    }

    /// `{"text": "...", "kind": "deploy", "at": "2026-11-20T09:30:00Z"}`; kind defaults to note, at to now.
    static func annotation(site: String, body: ByteBuffer) throws -> Annotation {
        let object = try APIError.jsonObject(body, shape: "{text, kind, at}")
        for key in object.keys where !["text", "kind", "at"].contains(key) {
            throw APIError(.badRequest, code: "unknown_field", "unknown field; an annotation has text, kind and at", field: key)
        }
        func text(_ key: String) throws -> String? {
            guard let value = object[key] else { return nil }
            guard case .string(let string) = value else {
                throw APIError(.badRequest, code: "invalid_value", "must be a string, got \(value.typeName)", field: key)
            }
            return string
        }
        let at = try text("at").map { try timestamp($0, field: "at") } ?? Int64(Date().timeIntervalSince1970 * 1000)
        let kind = try text("kind") ?? "note", note = try text("text") ?? ""
        if let problem = Annotation.problem(kind: kind, text: note) {
            throw APIError(.badRequest, code: "invalid_value", problem.reason, field: problem.field)
        }
        return Annotation(site: site, at: at, kind: kind, text: note)
    }
}
