import Hummingbird
import StepwiseCore
import StepwiseEngine
import StepwisePlan

/// `GET /api/v1/assign` (a person's variant, the same on every node and after every restart)
/// and `GET /api/v1/experiments/size` (the sample-size planner).
struct ExperimentController: Sendable {
    let plans: PlanRegistry

    func addRoutes(to router: Router<StepwiseRequestContext>) {
        router.get("/api/v1/assign") { request, _ in
            let parameters = request.uri.queryParameters
            func required(_ key: String) throws -> String {
                guard let value = parameters.get(key), !value.isEmpty else {
                    throw APIError(.badRequest, code: "missing_parameter", "\(key) is required", field: key)
                }
                return value
            }
            let site = try required("site"), name = try required("experiment"), person = try required("person")
            guard let plan = self.plans.entry(site: site)?.plan else {
                throw APIError(.notFound, code: "no_plan", "site \(site) has no tracking plan", field: "site")
            }
            guard let experiment = plan.experiments.first(where: { $0.name == name }) else {
                throw APIError(.notFound, code: "unknown_experiment", "the plan of \(site) has no experiment \(name)", field: "experiment")
            }
            let variant = ExperimentAssignment.variant(experiment: name, person: person, weights: experiment.variants.map { ($0.name, $0.weight) })
            return Response.json(.object(JSONObject(keys: ["site", "experiment", "person", "variant"],
                                                    values: [.string(site), .string(name), .string(person), .string(variant)])))
        }
        router.get("/api/v1/experiments/size") { request, _ in
            let parameters = request.uri.queryParameters
            func number(_ key: String) throws -> Double? {
                guard let text = parameters.get(key) else { return nil }
                guard let value = Double(text) else { throw APIError(.badRequest, code: "invalid_value", "\(key) must be a number", field: key) }
                return value
            }
            guard let baseline = try number("baseline") else {
                throw APIError(.badRequest, code: "missing_parameter", "baseline is required, e.g. 0.04", field: "baseline")
            }
            guard let mde = parameters.get("mde") else {
                throw APIError(.badRequest, code: "missing_parameter", "mde is required, e.g. 10%", field: "mde")
            }
            /// A whole number; the planner itself checks the range.
            func count(_ key: String) throws -> Int? {
                guard let value = try number(key) else { return nil }
                guard let whole = Int(exactly: value) else {
                    throw APIError(.badRequest, code: "invalid_value", "\(key) must be a whole number", field: key)
                }
                return whole
            }
            do {
                let size = try SampleSize(
                    baseline: baseline, relativeMde: try SampleSize.parseRelative(mde), power: try number("power") ?? 0.8,
                    alpha: try number("alpha") ?? 0.05, variants: try count("variants") ?? 2,
                    dailyPersons: try count("daily_persons"))
                return try Response.json(encoding: size)
            } catch let error as SampleSize.Invalid {
                throw APIError(.badRequest, code: "invalid_value", error.reason, field: error.field)
            }
        }
    }
}
