import Hummingbird
import StepwiseCore
import StepwiseStorage

/// `POST /api/v1/sites` and `DELETE /api/v1/sites/{site}` (admin): the registered sites.
/// `GET /api/v1/sites` (in `ReportController`) lists them with their traffic.
struct SiteController: Sendable {
    let sites: SiteRegistry
    let admin: AdminCheck
    /// Where a scaled-out node registers sites for every node: stored there first.
    var shared: (any SharedSites)?

    static let fields = ["name", "timezone", "origins", "write_key", "segment_write_key", "ga4_measurement_id", "ga4_api_secret"]

    func addRoutes(to router: Router<StepwiseRequestContext>) {
        router.post("/api/v1/sites") { request, _ in
            try self.admin.authorize(request)
            let body: ByteBuffer
            do { body = try await request.body.collect(upTo: 16 << 10) } catch {
                throw APIError(.contentTooLarge, code: "body_too_large", "a site is at most 16 KiB of JSON")
            }
            let site = try Self.settings(try APIError.jsonObject(body, shape: "{name, timezone, origins, write_key, …}"))
            if let shared = self.shared {
                guard self.sites.site(site.name) == nil else {
                    throw APIError(.conflict, code: "site_exists", "site \(site.name) is already registered", field: "name")
                }
                try await Self.sharing("registered") { try await shared.storeSite(site) }
                // The node's sync may have taken it from the shared store already.
                _ = try self.sites.add(site)
                return Response.json(Self.json(site), status: .created)
            }
            guard try self.sites.add(site) else {
                throw APIError(.conflict, code: "site_exists", "site \(site.name) is already registered", field: "name")
            }
            return Response.json(Self.json(site), status: .created)
        }
        router.delete("/api/v1/sites/{site}") { request, context in
            try self.admin.authorize(request)
            let name = try context.parameters.require("site")
            if let shared = self.shared, self.sites.site(name) != nil {
                try await Self.sharing("removed") { try await shared.removeSite(name) }
                // The node's sync may have removed it already.
                _ = try self.sites.remove(name)
                return Response(status: .noContent)
            }
            guard try self.sites.remove(name) else {
                throw APIError(.notFound, code: "unknown_site", "site \(name) is not registered", field: "site")
            }
            return Response(status: .noContent)
        }
    }

    /// A change every node must see, or a 503 and no change at all.
    static func sharing(_ what: String, _ body: () async throws -> Void) async throws {
        do { try await body() } catch {
            throw APIError(.serviceUnavailable, code: "store_unavailable", "the site could not be \(what) for the other nodes (\(error)); nothing changed")
        }
    }

    static func settings(_ object: JSONObject) throws -> SiteSettings {
        for key in object.keys where !fields.contains(key) {
            throw APIError(.badRequest, code: "unknown_field", "unknown field; a site has \(fields.joined(separator: ", "))", field: key)
        }
        func text(_ key: String) throws -> String? {
            switch object[key] {
            case nil, .null?: return nil
            case .string(let value)?: return value
            case let other?: throw APIError(.badRequest, code: "invalid_value", "must be a string, got \(other.typeName)", field: key)
            }
        }
        var site = SiteSettings(name: try text("name") ?? "")
        site.timezone = try text("timezone")
        site.writeKey = try text("write_key")
        site.segmentWriteKey = try text("segment_write_key")
        site.ga4MeasurementID = try text("ga4_measurement_id")
        site.ga4APISecret = try text("ga4_api_secret")
        switch object["origins"] {
        case nil, .null?: break
        case .array(let items)?:
            site.origins = try items.map { item in
                guard case .string(let origin) = item else { throw APIError(.badRequest, code: "invalid_value", "origins must be strings", field: "origins") }
                return origin
            }
        case let other?: throw APIError(.badRequest, code: "invalid_value", "must be a list of origins, got \(other.typeName)", field: "origins")
        }
        if let problem = site.problem() { throw APIError(.badRequest, code: "invalid_value", problem.reason, field: problem.field) }
        return site
    }

    /// A site as the API shows it: secrets only as whether they are set.
    static func json(_ site: SiteSettings) -> JSONValue {
        .object(JSONObject(
            keys: ["name", "timezone", "origins", "write_key", "segment_write_key", "ga4_measurement_id", "ga4_api_secret"],
            values: [.string(site.name), site.timezone.map(JSONValue.string) ?? .null, .array(site.origins.map(JSONValue.string)),
                     .bool(site.writeKey != nil), .bool(site.segmentWriteKey != nil), site.ga4MeasurementID.map(JSONValue.string) ?? .null,
                     .bool(site.ga4APISecret != nil)]))
    }
}
