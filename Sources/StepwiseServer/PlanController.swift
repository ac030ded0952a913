import Foundation
import Hummingbird
import StepwiseCore
import StepwisePlan
import StepwiseStorage

/// `GET` and `PUT /api/v1/sites/{site}/plan`: the tracking plan as YAML over HTTP.
struct PlanController: Sendable {
    let plans: PlanRegistry
    let admin: AdminCheck
    /// Where a scaled-out node publishes the plans it is sent, for the other nodes.
    var shared: (any SharedPlans)?
    static let maxPlanBytes = 1 << 20

    func addRoutes(to router: Router<StepwiseRequestContext>) {
        router.get("/api/v1/sites/{site}/plan") { request, context in
            try self.admin.authorize(request)
            let site = try context.parameters.require("site")
            guard let entry = self.plans.entry(site: site) else {
                throw APIError(.notFound, code: "no_plan", "site \(site) has no tracking plan", field: "site")
            }
            return Response.json(Self.summary(entry, warnings: nil))
        }
        router.put("/api/v1/sites/{site}/plan") { request, context in
            try self.admin.authorize(request)
            let site = try context.parameters.require("site")
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: Self.maxPlanBytes)
            } catch {
                throw APIError(.contentTooLarge, code: "body_too_large", "a plan is at most \(Self.maxPlanBytes) bytes")
            }
            guard let yaml = body.getString(at: body.readerIndex, length: body.readableBytes) else {
                throw APIError(.badRequest, code: "invalid_plan", "the plan must be UTF-8 YAML text")
            }
            let entry: PlanRegistry.Entry
            do {
                if let shared = self.shared {
                    // Stored for every node before it is in force here: a plan only this node had would split the nodes.
                    _ = try PlanRegistry.validated(site: site, yaml: yaml)
                    do { try await shared.storePlan(yaml, site: site) } catch {
                        throw APIError(.serviceUnavailable, code: "store_unavailable",
                                       "the plan could not be stored for the other nodes (\(error)); the previous plan stays in force")
                    }
                }
                entry = try self.plans.put(site: site, yaml: yaml)
            } catch let error as PlanError {
                // The previous plan stays in force.
                throw APIError(.badRequest, code: "invalid_plan", error.description, field: error.key.isEmpty ? nil : error.key)
            }
            return Response.json(Self.summary(entry, warnings: PlanLinter.lint(entry.plan)))
        }
    }

    static func summary(_ entry: PlanRegistry.Entry, warnings: [PlanWarning]?) -> JSONValue {
        var object = JSONObject()
        object.append("site", .string(entry.plan.site))
        object.append("version", .number(Double(entry.version)))
        object.append("source", .string(entry.source))
        object.append("loaded_at", .string(Timestamp.formatRFC3339(Int64(entry.loadedAt.timeIntervalSince1970 * 1000))))
        object.append("definitions", .number(Double(entry.plan.conversions.count)))
        object.append("micros", .number(Double(entry.plan.micros.count)))
        object.append("macros", .number(Double(entry.plan.macros.count)))
        if let warnings {
            object.append("warnings", .array(warnings.map { warning in
                .object(JSONObject(
                    keys: ["code", "subject", "line", "message", "why"],
                    values: [.string(warning.code.rawValue), .string(warning.subject), .number(Double(warning.line)),
                             .string(warning.message), .string(warning.why)]))
            }))
        }
        object.append("yaml", .string(entry.yaml))
        return .object(object)
    }
}
