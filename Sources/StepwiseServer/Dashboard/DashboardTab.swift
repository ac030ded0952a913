/// The dashboard's pages of one site, in navigation order, and the query parameters each reads
/// beyond the shared filters. A page's parameters are named as its JSON endpoint names them,
/// so a dashboard URL and its API URL carry the same query.
enum DashboardTab: String, CaseIterable, Sendable {
    case overview, funnels, predictors, leads, experiments, attribution, health, plan

    var title: String {
        switch self {
        case .overview: "Overview"
        case .funnels: "Funnels"
        case .predictors: "Predictors"
        case .leads: "Leads"
        case .experiments: "Experiments"
        case .attribution: "Attribution"
        case .health: "Health"
        case .plan: "Tracking plan"
        }
    }

    func path(site: String) -> String {
        let base = "/sites/\(DashboardState.pathEscape(site))"
        return self == .overview ? base : "\(base)/\(rawValue)"
    }

    /// The shared filters this page honours (health judges whole days itself, the plan has none).
    var filters: [String] {
        switch self {
        case .health, .plan: []
        case .leads: ["include_bots", "segment"]
        default: DashboardState.filterKeys
        }
    }

    var options: [String] {
        switch self {
        case .funnels: ["funnel", "steps", "breakdown", "window", "order", "per"]
        case .predictors: ["macro", "lookback"]
        case .leads: ["learned", "half_life"]
        case .attribution: ["macro", "lookback"]
        case .health: ["days", "series"]
        case .overview, .experiments, .plan: []
        }
    }
}
