import Foundation
import StepwiseCore
import Yams

/// Loads `stepwise.yml` strictly: an unknown key, a wrong type, a bad glob or duration, a
/// duplicate name, or a funnel step that is not defined is an error naming file, line and key.
public struct TrackingPlanLoader {
    let file: String

    public static func load(path: String) throws(PlanError) -> TrackingPlan {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw PlanError(file: path, line: 0, key: "", reason: "cannot read the plan: \(error.localizedDescription)")
        }
        return try load(yaml: text, file: path)
    }

    public static func load(yaml: String, file: String = "stepwise.yml") throws(PlanError) -> TrackingPlan {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw Self.syntaxError(error, file: file)
        } catch {
            throw PlanError(file: file, line: 0, key: "", reason: "not valid YAML: \(error)")
        }
        guard let root else { throw PlanError(file: file, line: 1, key: "", reason: "the plan is empty; it needs at least `site:`") }
        return try TrackingPlanLoader(file: file).plan(root)
    }

    static func syntaxError(_ error: YamlError, file: String) -> PlanError {
        switch error {
        case .duplicatedKeysInMapping(let duplicates, let context):
            return PlanError(file: file, line: context.mark.line, key: duplicates.joined(separator: ", "),
                             reason: "defined twice in the same mapping")
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return PlanError(file: file, line: mark.line, key: "", reason: "not valid YAML: \(problem)")
        default:
            return PlanError(file: file, line: 0, key: "", reason: "not valid YAML: \(error)")
        }
    }

    // MARK: Sections

    func plan(_ root: Node) throws(PlanError) -> TrackingPlan {
        let fields = try mapping(root, "", allowed: ["site", "timezone", "currency", "session_timeout", "conversions", "funnels", "audiences", "experiments", "ease", "health"])
        guard let siteNode = fields["site"] else { throw fail(root, "site", "is required (the site this plan belongs to)") }
        var plan = TrackingPlan(site: try string(siteNode, "site"))
        if let node = fields["timezone"] {
            let zone = try string(node, "timezone")
            guard TimeZone(identifier: zone) != nil else { throw fail(node, "timezone", "'\(zone)' is not an IANA time zone such as Australia/Sydney") }
            plan.timezone = zone
            plan.calendar = LocalCalendar(timeZoneIdentifier: zone)!
        }
        if let node = fields["ease"] {
            // How easy a test idea is to build, 1 to 10, by the idea's key (a funnel step or a micro).
            for (keyNode, valueNode) in try entries(node, "ease") {
                let name = try string(keyNode, "ease")
                guard let value = valueNode.int, (1...10).contains(value) else {
                    throw fail(valueNode, "ease.\(name)", "must be a whole number from 1 to 10")
                }
                plan.ease[name] = value
            }
        }
        if let node = fields["currency"] {
            let currency = try string(node, "currency")
            guard currency.count == 3, currency.allSatisfy({ $0.isUppercase && $0.isASCII }) else {
                throw fail(node, "currency", "'\(currency)' is not an ISO 4217 code such as AUD")
            }
            plan.currency = currency
        }
        if let node = fields["session_timeout"] { plan.sessionTimeoutMillis = try duration(node, "session_timeout") }
        if let node = fields["conversions"] {
            for (nameNode, body) in try entries(node, "conversions") {
                let name = try string(nameNode, "conversions")
                plan.conversions.append(try conversion(name, body, key: "conversions.\(name)", line: nameNode.mark?.line ?? 0))
            }
        }
        if let node = fields["funnels"] {
            for (nameNode, body) in try entries(node, "funnels") {
                let name = try string(nameNode, "funnels")
                plan.funnels.append(try funnel(name, body, key: "funnels.\(name)", plan: plan))
            }
        }
        if let node = fields["audiences"] {
            for (nameNode, body) in try entries(node, "audiences") {
                let name = try string(nameNode, "audiences")
                plan.audiences.append(try audience(name, body, key: "audiences.\(name)", plan: plan))
            }
        }
        if let node = fields["experiments"] {
            for (nameNode, body) in try entries(node, "experiments") {
                let name = try string(nameNode, "experiments")
                plan.experiments.append(try experiment(name, body, key: "experiments.\(name)", plan: plan))
            }
        }
        if let node = fields["health"] { plan.health = try health(node, plan: plan) }
        return plan
    }

    func health(_ node: Node, plan: TrackingPlan) throws(PlanError) -> HealthSettings {
        let fields = try mapping(node, "health", allowed: ["history_weeks", "ratios", "webhook"])
        var health = HealthSettings()
        if let node = fields["history_weeks"] {
            guard let weeks = node.int, (1...12).contains(weeks) else { throw fail(node, "health.history_weeks", "must be a whole number from 1 to 12") }
            health.historyWeeks = weeks
        }
        if let node = fields["ratios"] {
            guard case .sequence(let items) = node else { throw fail(node, "health.ratios", "must be a list such as [purchase/begin_checkout]") }
            for item in items {
                let text = try string(item, "health.ratios")
                let parts = text.split(separator: "/", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2 else { throw fail(item, "health.ratios", "'\(text)' is not NUMERATOR/DENOMINATOR") }
                for name in parts where plan.conversion(named: name) == nil {
                    throw fail(item, "health.ratios", "'\(name)' is not a defined conversion")
                }
                health.ratios.append((parts[0], parts[1]))
            }
        }
        if let node = fields["webhook"] { health.webhook = try webhookURL(node, "health.webhook") }
        return health
    }

    func webhookURL(_ node: Node, _ key: String) throws(PlanError) -> String {
        let url = try string(node, key)
        guard url.hasPrefix("https://") || url.hasPrefix("http://"), url.count > 8, !url.contains(" ") else {
            throw fail(node, key, "must be an http:// or https:// URL")
        }
        return url
    }

    func conversion(_ name: String, _ node: Node, key: String, line: Int) throws(PlanError) -> ConversionDefinition {
        let fields = try mapping(node, key, allowed: ["kind", "description", "when", "type", "intent", "stage", "count", "value", "denominator"])
        guard let kindNode = fields["kind"] else { throw fail(node, "\(key).kind", "is required: micro or macro") }
        guard let whenNode = fields["when"] else { throw fail(node, "\(key).when", "is required: which events count") }
        var definition = ConversionDefinition(
            name: name, kind: try choice(kindNode, "\(key).kind"), when: try matcher(whenNode, key: "\(key).when"),
            line: line)
        if let node = fields["description"] { definition.description = try string(node, "\(key).description") }
        if let node = fields["type"] { definition.type = try choice(node, "\(key).type") }
        if let node = fields["intent"] { definition.intent = try choice(node, "\(key).intent") }
        if let node = fields["stage"] { definition.stage = try choice(node, "\(key).stage") }
        if let node = fields["count"] { definition.count = try choice(node, "\(key).count") }
        if let node = fields["value"] {
            if let number = node.float, node.scalar?.style == .plain {
                guard number.isFinite else { throw fail(node, "\(key).value", "must be a finite number") }
                definition.value = .fixed(number)
            } else {
                let value = try mapping(node, "\(key).value", allowed: ["prop"])
                guard let prop = value["prop"] else { throw fail(node, "\(key).value", "must be a number or {prop: NAME}") }
                definition.value = .prop(try string(prop, "\(key).value.prop"))
            }
        }
        if let node = fields["denominator"] { definition.denominator = try matcher(node, key: "\(key).denominator") }
        return definition
    }

    func matcher(_ node: Node, key: String) throws(PlanError) -> EventMatcher {
        let fields = try mapping(node, key, allowed: ["event", "path", "url", "referrer", "props", "nth_in_session", "returned_within"])
        var matcher = EventMatcher()
        if let node = fields["event"] { matcher.event = try string(node, "\(key).event") }
        if let node = fields["path"] { matcher.path = try glob(node, "\(key).path") }
        if let node = fields["url"] { matcher.url = try glob(node, "\(key).url") }
        if let node = fields["referrer"] { matcher.referrer = try glob(node, "\(key).referrer") }
        if let node = fields["nth_in_session"] {
            guard let n = node.int, n >= 1 else { throw fail(node, "\(key).nth_in_session", "must be a whole number of at least 1") }
            matcher.nthInSession = n
        }
        if let node = fields["returned_within"] { matcher.returnedWithinMillis = try duration(node, "\(key).returned_within") }
        if let node = fields["props"] {
            for (propNode, condition) in try entries(node, "\(key).props") {
                let prop = try string(propNode, "\(key).props")
                matcher.props += try conditions(prop, condition, key: "\(key).props.\(prop)")
            }
        }
        if matcher.event == nil, matcher.path == nil, matcher.url == nil {
            throw fail(node, key, "needs at least one of event, path or url")
        }
        return matcher
    }

    func conditions(_ prop: String, _ node: Node, key: String) throws(PlanError) -> [PropCondition] {
        guard case .mapping = node else { return [PropCondition(key: prop, op: .eq, operand: try operand(node, key))] }
        _ = try mapping(node, key, allowed: Set(PropCondition.Operator.allCases.map(\.rawValue)))  // refuses unknown operators
        var conditions: [PropCondition] = []
        for (opNode, value) in try entries(node, key) {
            let op: PropCondition.Operator = try choice(opNode, key)
            let operand = try operand(value, "\(key).\(op.rawValue)")
            switch (op, operand) {
            case (.gt, .number), (.gte, .number), (.lt, .number), (.lte, .number), (.eq, _), (.ne, _): break
            case (.gt, _), (.gte, _), (.lt, _), (.lte, _): throw fail(value, "\(key).\(op.rawValue)", "compares numbers; give a number")
            case (.in, .list): break
            case (.in, _): throw fail(value, "\(key).in", "takes a list, e.g. [a, b]")
            case (.contains, .string): break
            case (.contains, _): throw fail(value, "\(key).contains", "takes a string")
            case (.matches, .string(let pattern)):
                guard (try? NSRegularExpression(pattern: pattern)) != nil else {
                    throw fail(value, "\(key).matches", "'\(pattern)' is not a valid regular expression")
                }
            case (.matches, _): throw fail(value, "\(key).matches", "takes a regular expression string")
            }
            conditions.append(PropCondition(key: prop, op: op, operand: operand))
        }
        return conditions
    }

    func operand(_ node: Node, _ key: String) throws(PlanError) -> PropCondition.Operand {
        switch node {
        case .sequence(let items): return .list(try items.map { (item) throws(PlanError) in try operand(item, key) })
        case .scalar(let scalar):
            if scalar.style == .plain {
                if let flag = node.bool, ["true", "false"].contains(scalar.string) { return .bool(flag) }
                if let number = node.float, number.isFinite { return .number(number) }
            }
            return .string(scalar.string)
        default: throw fail(node, key, "must be a string, number, boolean or list")
        }
    }

    func funnel(_ name: String, _ node: Node, key: String, plan: TrackingPlan) throws(PlanError) -> FunnelDefinition {
        let fields = try mapping(node, key, allowed: ["steps", "window", "order", "exclude"])
        guard let stepsNode = fields["steps"], case .sequence(let items) = stepsNode else {
            throw fail(node, "\(key).steps", "is required: a list of at least two steps")
        }
        var steps: [FunnelDefinition.Step] = []
        for (i, item) in items.enumerated() {
            let stepKey = "\(key).steps[\(i)]"
            if case .mapping = item {
                let raw = try mapping(item, stepKey, allowed: ["event"])
                guard let event = raw["event"] else { throw fail(item, stepKey, "a raw step is written {event: NAME}") }
                steps.append(.event(try string(event, "\(stepKey).event")))
            } else {
                let step = try string(item, stepKey)
                guard plan.conversion(named: step) != nil else {
                    throw fail(item, stepKey, "'\(step)' is not a defined conversion; define it under conversions, or write {event: \(step)} for raw events")
                }
                steps.append(.definition(step))
            }
        }
        guard steps.count >= 2 else { throw fail(stepsNode, "\(key).steps", "a funnel needs at least two steps") }
        var funnel = FunnelDefinition(name: name, steps: steps)
        if let node = fields["window"] { funnel.windowMillis = try duration(node, "\(key).window") }
        if let node = fields["order"] { funnel.order = try choice(node, "\(key).order") }
        if let node = fields["exclude"] {
            guard case .sequence(let exclusions) = node else { throw fail(node, "\(key).exclude", "must be a list") }
            for (i, item) in exclusions.enumerated() {
                let exclusionKey = "\(key).exclude[\(i)]"
                if case .mapping = item {
                    let parts = try mapping(item, exclusionKey, allowed: ["event", "between"])
                    guard let event = parts["event"] else { throw fail(item, "\(exclusionKey).event", "is required") }
                    var exclusion = FunnelDefinition.Exclusion(event: try string(event, "\(exclusionKey).event"))
                    if let between = parts["between"] {
                        guard case .sequence(let pair) = between, pair.count == 2 else {
                            throw fail(between, "\(exclusionKey).between", "takes two step names, e.g. [add_to_cart, purchase]")
                        }
                        let from = try string(pair[0], "\(exclusionKey).between"), to = try string(pair[1], "\(exclusionKey).between")
                        let names = steps.map(\.name)
                        guard let a = names.firstIndex(of: from), let b = names.firstIndex(of: to), a < b else {
                            throw fail(between, "\(exclusionKey).between", "must name two steps of this funnel in order (\(names.joined(separator: ", ")))")
                        }
                        exclusion.between = (from, to)
                    }
                    funnel.exclude.append(exclusion)
                } else {
                    funnel.exclude.append(.init(event: try string(item, exclusionKey)))
                }
            }
        }
        return funnel
    }

    func audience(_ name: String, _ node: Node, key: String, plan: TrackingPlan) throws(PlanError) -> AudienceDefinition {
        let fields = try mapping(node, key, allowed: ["did", "not", "within", "min_score", "segment", "webhook"])
        var audience = AudienceDefinition(name: name)
        audience.did = try definedNames(fields["did"], "\(key).did", plan: plan)
        audience.not = try definedNames(fields["not"], "\(key).not", plan: plan)
        if let node = fields["within"] { audience.withinMillis = try duration(node, "\(key).within") }
        if let node = fields["min_score"] {
            guard let score = node.float, score.isFinite else { throw fail(node, "\(key).min_score", "must be a number") }
            audience.minScore = score
        }
        if let node = fields["segment"] {
            // One `dimension=value` or a list of them, as `--segment` takes.
            var items = [node]
            if case .sequence(let list) = node { items = Array(list) }
            for item in items {
                let text = try string(item, "\(key).segment")
                do { audience.segments.append(try Segment(parsing: text)) } catch {
                    throw fail(item, "\(key).segment", error.description)
                }
            }
        }
        if let node = fields["webhook"] { audience.webhook = try webhookURL(node, "\(key).webhook") }
        return audience
    }

    func experiment(_ name: String, _ node: Node, key: String, plan: TrackingPlan) throws(PlanError) -> ExperimentDefinition {
        let fields = try mapping(node, key, allowed: ["variants", "primary", "guardrails"])
        guard let variantsNode = fields["variants"] else { throw fail(node, "\(key).variants", "is required, e.g. {control: 50, treatment: 50}") }
        var variants: [(name: String, weight: Int)] = []
        for (nameNode, weightNode) in try entries(variantsNode, "\(key).variants") {
            let variant = try string(nameNode, "\(key).variants")
            guard let weight = weightNode.int, weight > 0 else { throw fail(weightNode, "\(key).variants.\(variant)", "weight must be a whole number above 0") }
            variants.append((variant, weight))
        }
        guard variants.count >= 2 else { throw fail(variantsNode, "\(key).variants", "an experiment needs at least two variants") }
        guard let primary = fields["primary"] else { throw fail(node, "\(key).primary", "is required: the metric the test should move") }
        let primaryName = try definedNames(primary, "\(key).primary", plan: plan)
        return ExperimentDefinition(name: name, variants: variants, primary: primaryName[0],
                                    guardrails: try definedNames(fields["guardrails"], "\(key).guardrails", plan: plan))
    }

    // MARK: Typed readers

    func fail(_ node: Node, _ key: String, _ reason: String) -> PlanError {
        PlanError(file: file, line: node.mark?.line ?? 0, key: key, reason: reason)
    }

    /// A mapping's entries by key, refusing keys outside `allowed`.
    func mapping(_ node: Node, _ key: String, allowed: Set<String>) throws(PlanError) -> [String: Node] {
        var fields: [String: Node] = [:]
        for (keyNode, value) in try entries(node, key) {
            let name = try string(keyNode, key)
            let path = key.isEmpty ? name : "\(key).\(name)"
            guard allowed.contains(name) else {
                throw fail(keyNode, path, "unknown key; expected one of \(allowed.sorted().joined(separator: ", "))")
            }
            fields[name] = value
        }
        return fields
    }

    func entries(_ node: Node, _ key: String) throws(PlanError) -> [(Node, Node)] {
        guard case .mapping(let mapping) = node else { throw fail(node, key, "must be a mapping of names to values") }
        return mapping.map { ($0.key, $0.value) }
    }

    func string(_ node: Node, _ key: String) throws(PlanError) -> String {
        guard case .scalar(let scalar) = node, !scalar.string.isEmpty else { throw fail(node, key, "must be a non-empty string") }
        return scalar.string
    }

    func choice<T: RawRepresentable & CaseIterable>(_ node: Node, _ key: String) throws(PlanError) -> T where T.RawValue == String {
        let text = try string(node, key)
        guard let value = T(rawValue: text) else {
            throw fail(node, key, "'\(text)' is not one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }

    func duration(_ node: Node, _ key: String) throws(PlanError) -> Int64 {
        let text = try string(node, key)
        guard let millis = PlanDuration.millis(text), millis > 0 else {
            throw fail(node, key, "'\(text)' is not a duration such as 30m, 12h, 7d or 2w")
        }
        return millis
    }

    func glob(_ node: Node, _ key: String) throws(PlanError) -> Glob {
        let text = try string(node, key)
        do {
            return try Glob(text)
        } catch {
            throw fail(node, key, "bad glob '\(text)': \(error.reason)")
        }
    }

    /// A name or list of names, each a defined conversion.
    func definedNames(_ node: Node?, _ key: String, plan: TrackingPlan) throws(PlanError) -> [String] {
        guard let node else { return [] }
        let items: [Node]
        if case .sequence(let list) = node { items = Array(list) } else { items = [node] }
        return try items.map { (item) throws(PlanError) -> String in
            let name = try string(item, key)
            guard plan.conversion(named: name) != nil else { throw fail(item, key, "'\(name)' is not a defined conversion") }
            return name
        }
    }
}
