import Foundation
import StepwisePlan

/// Everything a dashboard view shows is in its URL: the site, the page, the filters and the
/// page's options, so a view can be bookmarked and shared. Empty form fields are dropped.
struct DashboardState: Sendable {
    static let filterKeys = ["from", "to", "segment", "include_bots"]

    let site: String
    let tab: DashboardTab
    /// The query as given, minus empty values and the share key, in order.
    let pairs: [(String, String)]
    /// A read-only shared link's key, carried into every link of the page.
    let share: String?

    init(site: String, tab: DashboardTab, query: [(String, String)]) {
        self.site = site
        self.tab = tab
        share = query.first { $0.0 == "share" }?.1
        pairs = query.filter { $0.0 != "share" && !$0.1.trimmingCharacters(in: .whitespaces).isEmpty }
    }

    func value(_ key: String) -> String? { pairs.first { $0.0 == key }?.1 }
    func values(_ key: String) -> [String] { pairs.filter { $0.0 == key }.map(\.1) }

    /// Parameters this page does not read: refused as the API refuses them.
    var unknownKeys: [String] {
        let known = Set(tab.filters + tab.options)
        return pairs.map(\.0).filter { !known.contains($0) }
    }

    /// The shared filters as report parameters.
    var filterPairs: [(String, String)] { pairs.filter { tab.filters.contains($0.0) } }

    /// Another page of the site, keeping the filters that page reads.
    func link(_ target: DashboardTab, site: String? = nil, adding extra: [(String, String)] = []) -> String {
        let kept = pairs.filter { target.filters.contains($0.0) } + extra
        return Self.url(target.path(site: site ?? self.site), kept + (share.map { [("share", $0)] } ?? []))
    }

    /// The JSON endpoint answering the same question with the same query.
    func api(_ endpoint: String, keys: [String]) -> String {
        Self.url("/api/v1/sites/\(Self.pathEscape(site))/\(endpoint)", pairs.filter { keys.contains($0.0) })
    }

    static func url(_ path: String, _ pairs: [(String, String)]) -> String {
        guard !pairs.isEmpty else { return path }
        return path + "?" + pairs.map { "\(queryEscape($0.0))=\(queryEscape($0.1))" }.joined(separator: "&")
    }

    private static let unreserved = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
    static func queryEscape(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? "" }
    static func pathEscape(_ text: String) -> String { queryEscape(text) }
}
