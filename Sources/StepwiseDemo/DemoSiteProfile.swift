/// The causal story of one demo site: its funnel, its micros and their true effects.
public struct DemoSiteProfile: Sendable {
    public var site: String
    public var timezone: String
    public var macro: String
    public var funnel: [String]
    /// Micros done before the funnel, with prevalence and the true multiplier they apply
    /// to the chance of reaching the macro (1 = vanity).
    public var micros: [(name: String, prevalence: Double, effect: Double)]
    /// A micro that only ever happens after the macro: any lift it shows is leakage.
    public var postMacroMicro: String
    /// Landing paths and the product-like paths behind the first funnel step.
    public var pages: [String]
    public var itemPath: String

    public static let shop = DemoSiteProfile(
        site: "shop.example", timezone: "Australia/Sydney", macro: "purchase",
        funnel: ["product_view", "add_to_cart", "begin_checkout", "purchase"],
        micros: [("size_guide_view", 0.10, 3), ("newsletter_signup", 0.08, 2), ("scroll_75", 0.45, 1)],
        postMacroMicro: "order_review",
        pages: ["/", "/category/shoes", "/category/shirts", "/sale", "/about", "/blog/care-guide"],
        itemPath: "/product/")

    public static let saas = DemoSiteProfile(
        site: "saas.example", timezone: "America/New_York", macro: "demo_booked",
        funnel: ["pricing_view", "demo_form_start", "demo_booked"],
        micros: [("case_study_download", 0.10, 3), ("newsletter_signup", 0.08, 2), ("blog_scroll_75", 0.40, 1)],
        postMacroMicro: "onboarding_call_scheduled",
        pages: ["/", "/features", "/integrations", "/blog/roadmap", "/customers", "/docs"],
        itemPath: "/pricing")
}
