import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import StepwiseCore
import StepwiseServer

/// The real tracker in headless Chromium (Tests/Browser/tracker_session.py), against a
/// live server: what a visitor does arrives as exactly these events and props.
@Suite struct TrackerBrowserTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Browser/tracker_session.py").path

    @Test func theTrackerCapturesWhatAVisitorDoes() async throws {
        let fixture = try ServerFixture()
        try await fixture.run { client in
            let plan = "site: shop.test\nconversions:\n  cta:\n    kind: micro\n    when: { event: cta_click }\n"
                + "experiments:\n  cta_color:\n    variants: { control: 50, green: 50 }\n    primary: cta\n"
            #expect(try await client.execute(uri: "/api/v1/sites/shop.test/plan", method: .put, body: body(plan)).status == .ok)
            // The site has a write key: the tracker sends it (data-key), or nothing would be stored.
            let site = #"{"name":"shop.test","write_key":"tk-0123456789"}"#
            #expect(try await client.execute(uri: "/api/v1/sites", method: .post, body: body(site)).status == .created)
            let port = try #require(client.port)
            let (status, text) = try await runScript(["python3", Self.script, String(port)])
            #expect(status == 0, "\(text)")
        }
        let events = try fixture.store.canonicalEvents(site: "shop.test")
        let names = events.map(\.name)
        func one(_ name: String) -> CanonicalEvent? { events.first { $0.name == name } }
        func prop(_ event: CanonicalEvent?, _ key: String) -> JSONValue? { event?.props[key] }

        // The visitor who kept their id in localStorage.
        let kept = events.filter { !$0.visitor.hasPrefix("c") }
        #expect(Set(kept.map(\.visitor)).count == 1)
        #expect(kept.filter { $0.name == "pageview" }.compactMap(\.url).map { URL(string: $0)!.path } == ["/index.html", "/pricing", "/thanks.html", "/quiet.html"])
        // The variant was fetched and its exposure recorded; data-disable="scroll" kept quiet.html's scrolling out.
        let exposure = try #require(one("$exposure"))
        #expect(prop(exposure, "experiment") == .string("cta_color") && [JSONValue.string("control"), .string("green")].contains(prop(exposure, "variant")))
        #expect(prop(one("form_submit"), "form") == .string("signup"))
        #expect(!events.contains { $0.name.hasPrefix("scroll_") && $0.url?.contains("quiet") == true })
        // Global Privacy Control with data-respect-privacy: nothing from private.html.
        #expect(!events.contains { $0.url?.contains("private.html") == true || $0.name == "should_not_arrive" })
        #expect(prop(one("site_search"), "query") == .string("running shoes"))
        for depth in [25, 50, 75, 90] { #expect(names.filter { $0 == "scroll_\(depth)" }.count == 1, "scroll_\(depth)") }
        #expect(prop(one("cta_click"), "plan") == .string("pro") && prop(one("cta_click"), "button_color") == .string("green"))
        #expect(prop(one("form_start"), "form") == .string("lead"))
        #expect(prop(one("form_abandon"), "form") == .string("lead") && prop(one("form_abandon"), "last_field") == .string("email"))
        for step in [25, 50, 75, 100] { #expect(prop(one("video_\(step)"), "video") == .string("intro"), "video_\(step)") }
        #expect(prop(one("file_download"), "file") == .string("report.pdf"))
        #expect(prop(one("outbound_click"), "host") == .string("partner.example"))
        if case .number(let seconds)? = prop(one("engagement"), "seconds") { #expect(seconds >= 1) } else { Issue.record("no engagement: \(names)") }
        // Referrer, campaign and time zone arrive; what was typed never does.
        #expect(one("pageview")?.url?.contains("utm_source=newsletter") == true && one("pageview")?.timezone != nil)
        #expect(events.allSatisfy { $0.webdriver }, "navigator.webdriver is reported")
        let everything = events.map { "\(JSONWriter.write(.object($0.props))) \($0.url ?? "")" }.joined()
        #expect(!everything.contains("Ada") && !everything.contains("secret.example"))
        // Identified: the pages after it carry the user.
        #expect(kept.last { $0.name == "pageview" }?.user == "u-42")

        // Cookieless: a server-side daily id, and no raw IP anywhere in the database.
        let cookieless = events.filter { $0.visitor.hasPrefix("c") }
        #expect(cookieless.map(\.name) == ["pageview"] && cookieless[0].visitor.count == 21)
        for file in try FileManager.default.contentsOfDirectory(atPath: fixture.directory.path) {
            let bytes = try Data(contentsOf: fixture.directory.appendingPathComponent(file))
            #expect(bytes.range(of: Data("127.0.0.1".utf8)) == nil, "\(file) holds a raw IP")
        }
    }

    @Test func theScriptIsSmallCachedAndRevalidated() async throws {
        let fixture = try ServerFixture()
        try await fixture.run { client in
            let first = try await client.execute(uri: "/js/stepwise.js", method: .get)
            #expect(first.status == .ok && first.headers[.contentType] == "application/javascript; charset=utf-8")
            #expect(first.headers[.cacheControl] == "public, max-age=3600")
            let etag = try #require(first.headers[.eTag])
            let head = try await client.execute(uri: "/js/stepwise.js", method: .head)
            #expect(head.status == .ok && head.headers[.eTag] == etag)
            let again = try await client.execute(uri: "/js/stepwise.js", method: .get, headers: [.ifNoneMatch: etag])
            #expect(again.status == .notModified && again.body.readableBytes == 0)
            // Under 4 KB gzipped (gzip -9, as a CDN would serve it).
            let gzip = Process()
            gzip.executableURL = URL(fileURLWithPath: "/bin/sh")
            gzip.arguments = ["-c", "gzip -9c | wc -c"]
            let input = Pipe(), output = Pipe()
            gzip.standardInput = input
            gzip.standardOutput = output
            try gzip.run()
            input.fileHandleForWriting.write(Data(first.body.readableBytesView))
            try input.fileHandleForWriting.close()
            let size = Int(String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
            gzip.waitUntilExit()
            #expect(try #require(size) < 4096)
        }
    }
}
