import Foundation
import StepwiseEngine

/// Who is looking: everyone when no admin token is set, a signed-in admin, or a visitor with
/// a site's read-only shared link.
enum DashboardAccess: Sendable, Equatable {
    case open
    /// Signed in; `csrf` guards the sign-out form (nil when the admin token came as a header).
    case admin(csrf: String?)
    case shared(site: String)
}

/// The page shell: header, site and page navigation, the filter form, and numbers marked with
/// the JSON field they show (`data-api`), so a test can hold every figure to the API's.
enum DashboardLayout {
    static func page(title: String, state: DashboardState?, sites: [String], access: DashboardAccess, shareKey: String? = nil,
                     controls: String = "", error: String? = nil, body: String) -> String {
        var html = """
            <!doctype html><html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title)) · Stepwise</title><link rel="icon" href="data:,"><link rel="stylesheet" href="/assets/dashboard.css">
            <script src="/assets/dashboard.js" defer></script></head><body>
            <a class="skip" href="#main">Skip to content</a><header><a class="brand" href="\(state?.share == nil ? "/" : "#main")">Stepwise</a>
            """
        if let state, state.share == nil, sites.count > 1 {
            html += "<nav aria-label=\"Sites\">" + sites.map { site in
                "<a href=\"\(escape(state.link(state.tab, site: site)))\"\(site == state.site ? " aria-current=\"true\"" : "")>\(escape(site))</a>"
            }.joined(separator: " · ") + "</nav>"
        }
        if case .admin(let csrf?) = access {
            html += "<form method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"csrf\" value=\"\(escape(csrf))\">"
                + "<button type=\"submit\">Sign out</button></form>"
        }
        html += "</header>"
        if let state {
            html += "<nav class=\"tabs\" aria-label=\"Pages\">" + DashboardTab.allCases.map { tab in
                "<a href=\"\(escape(state.link(tab)))\"\(tab == state.tab ? " aria-current=\"page\"" : "")>\(tab.title)</a>"
            }.joined() + "</nav>"
        }
        html += "<main id=\"main\"><h1>\(escape(title))</h1>"
        if let state { html += filterForm(state, controls: controls) }
        if let error { html += "<p class=\"alert\" role=\"alert\">\(escape(error))</p>" }
        html += body
        if let shareKey, let state {
            let link = DashboardState.url(DashboardTab.overview.path(site: state.site), [("share", shareKey)])
            html += "<p class=\"muted\">Read-only link to this site's dashboard: <a href=\"\(escape(link))\">\(escape(link))</a> "
                + "<button type=\"button\" data-copy=\"\(escape(link))\">Copy</button></p>"
        }
        return html + "</main></body></html>"
    }

    /// A GET form: applying it makes a new URL, so the view stays shareable.
    static func filterForm(_ state: DashboardState, controls: String) -> String {
        let filters = state.tab.filters
        guard !filters.isEmpty || !controls.isEmpty else { return "" }
        var html = "<form class=\"filters\" method=\"get\" action=\"\(escape(state.tab.path(site: state.site)))\" aria-label=\"Filters\">"
        if filters.contains("from") {
            html += "<label>From<input type=\"date\" name=\"from\" value=\"\(escape(state.value("from") ?? ""))\"></label>"
            html += "<label>To<input type=\"date\" name=\"to\" value=\"\(escape(state.value("to") ?? ""))\"></label>"
        }
        if filters.contains("segment") {
            for (k, segment) in (state.values("segment") + [""]).enumerated() {
                html += "<label>Segment\(k > 0 ? " \(k + 1)" : "")<input type=\"text\" name=\"segment\" value=\"\(escape(segment))\" "
                    + "placeholder=\"device=mobile\" aria-describedby=\"segment-help\"></label>"
            }
        }
        if filters.contains("include_bots") {
            let checked = state.value("include_bots") == "true" ? " checked" : ""
            html += "<label class=\"check\"><input type=\"checkbox\" name=\"include_bots\" value=\"true\"\(checked)>Include bots</label>"
        }
        html += controls
        if let share = state.share { html += "<input type=\"hidden\" name=\"share\" value=\"\(escape(share))\">" }
        html += "<button class=\"primary\" type=\"submit\">Apply</button>"
        if filters.contains("segment") {
            html += "<span id=\"segment-help\" class=\"muted\">Segments: channel, device, browser, os, region, landing_page, visitor_type, prop.KEY; "
                + "as dimension=value.</span>"
        }
        return html + "</form>"
    }

    static func select(_ name: String, label: String, options: [(value: String, text: String)], selected: String?, autosubmit: Bool = true) -> String {
        "<label>\(escape(label))<select name=\"\(escape(name))\"\(autosubmit ? " data-autosubmit" : "")>" + options.map { option in
            "<option value=\"\(escape(option.value))\"\(option.value == (selected ?? "") ? " selected" : "")>\(escape(option.text))</option>"
        }.joined() + "</select></label>"
    }

    /// A section whose marked numbers come from one JSON endpoint.
    static func section(_ heading: String, api: String?, _ body: String) -> String {
        "<section\(api.map { " data-api-url=\"\(escape($0))\"" } ?? "")><h2>\(escape(heading))</h2>" + body
            + (api.map { "<p class=\"muted\"><a href=\"\(escape($0))\">JSON</a></p>" } ?? "") + "</section>"
    }

    /// A table whose first cell of a row heads it; `text` columns are prose, aligned left.
    static func table(_ headers: [String], _ rows: [[String]], text: Set<Int> = []) -> String {
        func align(_ k: Int) -> String { text.contains(k) ? " class=\"text\"" : "" }
        return "<div class=\"scroll\"><table><thead><tr>" + headers.enumerated().map { k, h in "<th scope=\"col\"\(align(k))>\(escape(h))</th>" }.joined()
            + "</tr></thead><tbody>"
            + rows.map { "<tr>" + $0.enumerated().map { k, cell in k == 0 ? "<th scope=\"row\">\(cell)</th>" : "<td\(align(k))>\(cell)</td>" }.joined() + "</tr>" }.joined()
            + "</tbody></table></div>"
    }

    // Figures, each marked with the API field it shows and how it is formatted.
    static func int(_ value: Int, _ api: String? = nil) -> String { mark(String(value), api, "int") }
    static func percent(_ value: Double?, _ api: String? = nil) -> String {
        value.map { mark(String(format: "%.1f%%", $0 * 100), api, "pct1") } ?? "–"
    }
    static func decimal(_ value: Double?, _ api: String? = nil) -> String {
        value.map { mark(String(format: "%.2f", $0), api, "num2") } ?? "–"
    }
    /// A rate and its 95 % interval, e.g. `12.3% (10.1–14.8%)`.
    static func rate(_ rate: Rate?, _ api: String? = nil) -> String {
        guard let rate, let value = rate.rate else { return "–" }
        var text = percent(value, api.map { "\($0).rate" })
        if let ci = rate.ci95 {
            text += " <span class=\"muted\">(\(percent(ci[0], api.map { "\($0).ci95.0" }))–\(percent(ci[1], api.map { "\($0).ci95.1" })))</span>"
        }
        return text
    }
    private static func mark(_ text: String, _ api: String?, _ format: String) -> String {
        guard let api else { return text }
        return "<span data-api=\"\(escape(api))\" data-format=\"\(format)\">\(text)</span>"
    }

    static func label(_ raw: String) -> String { raw.replacingOccurrences(of: "_", with: " ") }
}
