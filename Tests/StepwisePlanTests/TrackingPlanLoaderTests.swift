import Testing
@testable import StepwisePlan

@Suite struct TrackingPlanLoaderTests {
    /// SPEC §2's example, with the steps it references defined.
    static let plan = """
        site: shop.example
        timezone: Australia/Sydney
        currency: AUD
        session_timeout: 30m
        conversions:
          purchase:
            kind: macro
            when: { event: purchase }
            value: { prop: revenue }
            count: every
          product_view:
            kind: micro
            when: { event: pageview, path: "/product/*" }
            type: process_milestone
          pricing_view:
            kind: micro
            description: Opened the pricing page
            when: { event: pageview, path: "/pricing*" }
            type: exploration
            intent: high
            stage: intent
            count: once_per_session
            value: 5.00
          add_to_cart:
            kind: micro
            when: { event: add_to_cart }
            type: process_milestone
            denominator: { event: pageview, path: "/product/*" }
          begin_checkout:
            kind: micro
            when: { event: begin_checkout }
          video_75:
            kind: micro
            when: { event: video_progress, props: { percent: { gte: 75 } } }
            value: 0.50
          engaged_pricing:
            kind: micro
            when: { event: page_engagement, path: "/pricing", props: { seconds: { gte: 180 } } }
          second_article:
            kind: micro
            when: { event: pageview, path: "/blog/*", nth_in_session: 2 }
          came_back:
            kind: micro
            when: { event: pageview, returned_within: 7d }
          case_study_download:
            kind: micro
            when: { event: download, props: { file: { matches: "case-study-.*\\\\.pdf" }, plan: [pro, team] } }
        funnels:
          checkout:
            steps: [product_view, add_to_cart, begin_checkout, purchase]
            window: 7d
            order: ordered
            exclude: [refund, { event: cart_cleared, between: [add_to_cart, purchase] }]
          raw:
            steps: [{ event: signup_start }, { event: signup }]
            order: strict
        audiences:
          warm_leads:
            did: [pricing_view, case_study_download]
            not: [purchase]
            within: 30d
            min_score: 10
            segment: [device=mobile, "channel=Paid Search"]
            webhook: https://crm.example/hooks/stepwise
        experiments:
          pricing_cta:
            variants: { control: 50, bold_cta: 50 }
            primary: pricing_view
            guardrails: [purchase]
        """

    @Test func loadsEverySectionOfAPlan() throws {
        let plan = try TrackingPlanLoader.load(yaml: Self.plan)
        #expect(plan.site == "shop.example")
        #expect(plan.timezone == "Australia/Sydney")
        #expect(plan.sessionTimeoutMillis == 1_800_000)
        #expect(plan.conversions.count == 10)
        #expect(plan.macros.map(\.name) == ["purchase"])
        let pricing = try #require(plan.conversion(named: "pricing_view"))
        #expect(pricing.intent == .high && pricing.stage == .intent && pricing.type == .exploration)
        #expect(pricing.count == .oncePerSession)
        #expect(pricing.value == .fixed(5))
        #expect(pricing.line == 15)
        #expect(plan.conversion(named: "purchase")?.value == .prop("revenue"))
        #expect(plan.conversion(named: "add_to_cart")?.denominator?.path?.matches("/product/17") == true)
        #expect(plan.conversion(named: "video_75")?.when.props == [PropCondition(key: "percent", op: .gte, operand: .number(75))])
        #expect(plan.conversion(named: "second_article")?.when.nthInSession == 2)
        #expect(plan.conversion(named: "came_back")?.when.returnedWithinMillis == Int64(604_800_000))
        #expect(plan.conversion(named: "case_study_download")?.when.props.map(\.op) == [.matches, .eq])
        #expect(plan.conversion(named: "case_study_download")?.when.props[1].operand == .list([.string("pro"), .string("team")]))
        let checkout = plan.funnels[0]
        #expect(checkout.steps == [.definition("product_view"), .definition("add_to_cart"), .definition("begin_checkout"), .definition("purchase")])
        #expect(checkout.windowMillis == Int64(604_800_000))
        #expect(checkout.exclude == [.init(event: "refund"), .init(event: "cart_cleared", between: ("add_to_cart", "purchase"))])
        #expect(plan.funnels[1].steps == [.event("signup_start"), .event("signup")])
        #expect(plan.funnels[1].order == .strict)
        #expect(plan.audiences[0].did == ["pricing_view", "case_study_download"] && plan.audiences[0].minScore == 10)
        #expect(plan.audiences[0].segments.map(\.description) == ["device=mobile", "channel=Paid Search"])
        #expect(plan.audiences[0].webhook == "https://crm.example/hooks/stepwise")
        #expect(plan.experiments[0].variants.map(\.weight) == [50, 50])
    }

    @Test(arguments: [
        ("site: s\nconversions:\n  a:\n    kind: micro\n    when: { evnt: x }\n", 5, "conversions.a.when.evnt", "unknown key"),
        ("site: s\nconversions:\n  a:\n    kind: micro\n    when: { event: x }\n  a:\n    kind: macro\n    when: { event: y }\n", 3, "a", "defined twice"),
        ("site: s\nconversions:\n  a:\n    kind: micro\n    when: { event: x }\nfunnels:\n  f:\n    steps: [a, nope]\n", 8, "funnels.f.steps[1]", "'nope' is not a defined conversion"),
        ("site: s\nconversions:\n  a:\n    kind: micro\n    when: { path: \"/p[ab\" }\n", 5, "conversions.a.when.path", "bad glob '/p[ab': '[' is never closed"),
        ("site: s\nsession_timeout: 30 minutes\n", 2, "session_timeout", "not a duration"),
        ("site: s\nease:\n  a->b: 11\n", 3, "ease.a->b", "must be a whole number from 1 to 10"),
        ("site: s\naudiences:\n  a:\n    segment: colour=red\n", 4, "audiences.a.segment", "unknown dimension 'colour'"),
        ("site: s\naudiences:\n  a:\n    webhook: crm.example/hook\n", 4, "audiences.a.webhook", "must be an http:// or https:// URL"),
        ("site: s\nconversions:\n  a:\n    when: { event: x }\n", 4, "conversions.a.kind", "is required"),
        ("site: s\nconversions:\n  a:\n    kind: mega\n    when: { event: x }\n", 4, "conversions.a.kind", "'mega' is not one of micro, macro"),
        ("site: s\nconversions:\n  a:\n    kind: micro\n    when: { event: x, props: { p: { gte: lots } } }\n", 5, "conversions.a.when.props.p.gte", "compares numbers"),
        ("site: s\nconversions:\n  a:\n    kind: micro\n    when: { event: x, props: { p: { matches: \"(\" } } }\n", 5, "conversions.a.when.props.p.matches", "not a valid regular expression"),
        ("timezone: UTC\n", 1, "site", "is required"),
        ("site: s\ntimezone: Mars/Olympus\n", 2, "timezone", "not an IANA time zone"),
        ("site: s\nconversions: [a, b\n", 3, "", "not valid YAML"),
        ("site: s\nconversions:\n  a:\n    kind: micro\n    when: { event: x }\nexperiments:\n  e:\n    variants: { control: 50, b: 0 }\n    primary: a\n", 8, "experiments.e.variants.b", "above 0"),
        ("site: s\nconversions:\n  a:\n    kind: micro\n    when: { event: x }\nfunnels:\n  f:\n    steps: [a, a]\n    exclude: [{ event: r, between: [a, z] }]\n", 9, "funnels.f.exclude[0].between", "must name two steps"),
    ])
    func loadErrorsNameTheLineTheKeyAndTheReason(yaml: String, line: Int, key: String, reason: String) {
        do {
            _ = try TrackingPlanLoader.load(yaml: yaml, file: "plans/stepwise.yml")
            Issue.record("expected an error for \(key)")
        } catch {
            #expect(error.file == "plans/stepwise.yml")
            #expect(error.line == line)
            #expect(error.key == key)
            #expect(error.reason.contains(reason), "\(error.reason)")
            #expect(error.description.hasPrefix("plans/stepwise.yml:\(line): "))
        }
    }

    @Test(arguments: [
        ("/pricing*", "/pricing", true), ("/pricing*", "/pricing/team", true), ("/pricing*", "/about/pricing", false),
        ("/product/*", "/product/17", true), ("/product/*", "/product", false), ("*checkout*", "/cart/checkout/pay", true),
        ("/p?", "/p1", true), ("/p?", "/p12", false), ("/[ab]x", "/bx", true), ("/[!ab]x", "/bx", false), ("/[a-c]x", "/cx", true),
        ("https://*.google.*/*", "https://www.google.com.au/search", true), ("/a\\*b", "/a*b", true), ("/a\\*b", "/axb", false),
        ("*", "", true), ("", "", true), ("/blog/*/*", "/blog/2026/post", true), ("/blog/*/*", "/blog/post", false),
    ])
    func globsMatchWholeStrings(pattern: String, text: String, expected: Bool) throws {
        #expect(try Glob(pattern).matches(text) == expected)
    }

    @Test func durationsTakeAWholeNumberAndAUnit() {
        #expect(PlanDuration.millis("45s") == 45_000)
        #expect(PlanDuration.millis("30m") == 1_800_000)
        #expect(PlanDuration.millis("2h") == 7_200_000)
        #expect(PlanDuration.millis("7d") == 604_800_000)
        #expect(PlanDuration.millis("1w") == 604_800_000)
        #expect(PlanDuration.millis("1.5h") == nil)
        #expect(PlanDuration.millis("7 days") == nil)
        #expect(PlanDuration.millis("-1d") == nil)
        #expect(PlanDuration.millis("99999999999999999w") == nil)
    }
}

@Suite struct PlanLinterTests {
    @Test func warnsAboutTheCommonMistakes() throws {
        var yaml = """
            site: s
            conversions:
              purchase:
                kind: macro
                when: { event: purchase }
              all_pages:
                kind: micro
                when: { event: pageview }
              PricingView:
                kind: micro
                when: { event: pageview, path: /pricing }
              add_to_cart:
                kind: micro
                when: { event: add_to_cart }
            funnels:
              checkout:
                steps: [add_to_cart, purchase]

            """
        let plan = try TrackingPlanLoader.load(yaml: yaml)
        let warnings = PlanLinter.lint(plan, observedEvents: ["purchase", "add_to_cart", "pageview", "newsletter_signup", "$exposure"])
        #expect(warnings.map(\.code) == [.barePageview, .notSnakeCase, .unlinkedMicro, .unlinkedMicro, .untrackedEvent])
        #expect(warnings.map(\.subject) == ["all_pages", "PricingView", "all_pages", "PricingView", "newsletter_signup"])
        #expect(warnings[0].line == 6)
        #expect(warnings.allSatisfy { !$0.why.isEmpty })

        yaml = "site: s\nconversions:\n" + (0..<17).map { "  m\($0):\n    kind: micro\n    when: { event: e\($0) }\n" }.joined()
        let noMacro = PlanLinter.lint(try TrackingPlanLoader.load(yaml: yaml))
        #expect(noMacro.first?.code == .noMacro)
        yaml += "  goal:\n    kind: macro\n    when: { event: goal }\n"
        #expect(PlanLinter.lint(try TrackingPlanLoader.load(yaml: yaml)).first?.code == .tooManyMicros)
    }

    @Test(arguments: [("pricing_view", true), ("video_75", true), ("PricingView", false), ("pricing-view", false),
                      ("_x", false), ("x_", false), ("a__b", false), ("2fa_done", false)])
    func recognisesSnakeCase(name: String, expected: Bool) {
        #expect(PlanLinter.isSnakeCase(name) == expected)
    }
}
