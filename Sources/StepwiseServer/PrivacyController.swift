import Foundation
import Hummingbird
import Logging
import StepwiseCore
import StepwiseStorage

/// Privacy operations (SPEC §3): `DELETE /api/v1/sites/{site}/persons/{person}` erases a person
/// from SQLite and the engine; `GET /api/v1/sites/{site}/erasures` is the log of erasures and
/// retention runs (counts and a hash, never the erased id). Admin only.
struct PrivacyController: Sendable {
    let store: EventStore
    let admin: AdminCheck
    /// Scaled out, the events are elsewhere: erased there, logged here.
    var scaleOut: ScaleOut?

    func addRoutes(to router: Router<StepwiseRequestContext>) {
        router.delete("/api/v1/sites/{site}/persons/{person}") { request, context in
            try self.admin.authorize(request)
            let site = try context.parameters.require("site")
            let person = try context.parameters.require("person")
            let record: ErasureRecord?
            if let scaleOut = self.scaleOut {
                do { record = try await scaleOut.erasure.erase(site: site, person: person, loggingTo: self.store) } catch {
                    throw APIError(.serviceUnavailable, code: "store_unavailable", "the erasure did not complete: \(error); retry it")
                }
            } else {
                record = try await self.store.erase(site: site, person: person)
            }
            guard let record else {
                throw APIError(.notFound, code: "unknown_person", "site \(site) has no visitor or user \(person)", field: "person")
            }
            context.logger.notice("erased a person", metadata: [
                "site": .string(site), "person_sha256": .string(record.personSha256 ?? ""), "events": .stringConvertible(record.events),
                "visitors": .stringConvertible(record.visitors), "users": .stringConvertible(record.users),
            ])
            return try Response.json(encoding: ["erased": record])
        }
        router.get("/api/v1/sites/{site}/erasures") { request, context in
            try self.admin.authorize(request)
            let site = try context.parameters.require("site")
            return try Response.json(encoding: ["erasures": try self.store.erasures(site: site)])
        }
    }
}
