import Hummingbird
import StepwiseEngine
import StepwisePlan

/// What every person-level report endpoint does first: authorise, resolve the site and its
/// plan, parse the shared filter, and turn a query the plan cannot answer into a 400.
extension ReportController {
    /// Authorises, resolves the site and its plan, and parses the shared filter.
    func prepare(_ request: Request, _ context: StepwiseRequestContext, extra: [String], range: Bool = true)
        throws -> (String, TrackingPlan, ReportFilter, Parameters)
    {
        try admin.authorize(request)
        let site = try knownSite(context)
        let plan = try self.plan(site)
        let parameters = request.uri.queryParameters
        let shared = range ? ["from", "to", "include_bots", "segment"] : ["include_bots", "segment"]
        let filter = try ReportFilter(ReportFilter.pairs(parameters), allowed: shared + extra, calendar: plan.calendar)
        return (site, plan, filter, parameters)
    }

    /// Turns a query the plan cannot answer into a 400 naming the field (404 for an unknown audience).
    static func checked<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PredictQuery.Invalid {
            if error.field == "audience" { throw APIError(.notFound, code: "unknown_audience", error.reason, field: "name") }
            if error.field == "experiment" { throw APIError(.notFound, code: "unknown_experiment", error.reason, field: "name") }
            throw APIError(.badRequest, code: "invalid_value", error.reason, field: error.field)
        }
    }

    static func checked<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as PredictQuery.Invalid {
            throw APIError(.badRequest, code: "invalid_value", error.reason, field: error.field)
        }
    }
}
