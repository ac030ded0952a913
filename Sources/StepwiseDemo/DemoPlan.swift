/// The tracking plan a demo site ships with (`stepwise.yml`), so every report works on
/// the demo out of the box and shows what a good plan looks like.
extension DemoSiteProfile {
    public var planYAML: String {
        let isShop = macro == "purchase"
        var conversions: [String] = []
        func define(_ name: String, _ kind: String, _ lines: [String]) {
            conversions.append(
                "  \(name):\n    kind: \(kind)\n" + lines.map { "    \($0)\n" }.joined())
        }
        let stages = isShop ? ["consideration", "intent", "intent", "purchase"] : ["intent", "intent", "purchase"]
        for (k, step) in funnel.enumerated() {
            if step == macro {
                define(step, "macro", [
                    "description: The site's primary goal",
                    "when: { event: \(step) }",
                    isShop ? "value: { prop: revenue }" : "value: 250",
                    "count: every",
                ])
            } else {
                var lines = [
                    "when: { event: \(step) }", "type: process_milestone", "intent: \(k == 0 ? "medium" : "high")",
                    "stage: \(stages[k])", "count: once_per_session",
                ]
                if k > 0 { lines.append("denominator: { event: \(funnel[k - 1]) }") }
                define(step, "micro", lines)
            }
        }
        for (k, micro) in micros.enumerated() {
            let vanity = micro.effect == 1
            define(micro.name, "micro", [
                "when: { event: \(micro.name) }",
                "type: \(vanity ? "engagement" : (k == 0 ? "content" : "secondary_action"))",
                "intent: \(vanity ? "low" : "medium")", "stage: \(vanity ? "awareness" : "consideration")",
                "count: once_per_person", "value: \(vanity ? "0.5" : "5")",
            ])
        }
        define(postMacroMicro, "micro", ["when: { event: \(postMacroMicro) }", "type: onboarding", "count: once_per_person"])
        define("returning_visit", "micro", [
            "description: Came back within a week",
            "when: { event: pageview, returned_within: 7d }", "type: engagement", "intent: low", "count: once_per_session",
        ])
        let landing = pages[1]
        define("\(landing.split(separator: "/").last ?? "section")_page_view", "micro", [
            "when: { event: pageview, path: \"\(landing)*\" }", "type: exploration", "intent: low", "count: once_per_session",
        ])

        var text = """
            # Tracking plan of the demo site \(site) (SPEC §2).
            site: \(site)
            timezone: \(timezone)\(isShop ? "\ncurrency: AUD" : "")
            session_timeout: 30m
            conversions:

            """
        text += conversions.joined()
        text += "funnels:\n  \(isShop ? "checkout" : "demo_request"):\n    steps: [\(funnel.joined(separator: ", "))]\n    window: 7d\n    order: ordered\n"
        text += "audiences:\n  warm_leads:\n    did: [\(micros[0].name)]\n    not: [\(macro)]\n    within: 30d\n"
        if isShop {
            text += "experiments:\n  \(DemoGenerator.experimentName):\n    variants: { control: 50, bold_cta: 50 }\n"
            text += "    primary: \(funnel[1])\n    guardrails: [\(macro)]\n"
        }
        return text
    }
}
