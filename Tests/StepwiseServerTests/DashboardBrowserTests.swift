import Foundation
import Testing

/// Every page of `stepwise demo` in headless Chromium (Tests/Browser/dashboard_pages.py):
/// sign-in, each figure against the JSON API, a filter, a breakdown, and PNGs of every page at
/// desktop and phone widths in `artifacts/dashboard/` (CI keeps that folder).
@Suite struct DashboardBrowserTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func everyDemoPageShowsTheAPIsNumbersAtDesktopAndPhoneWidths() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("stepwise-dashboard-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let (process, port) = try ServerProcess.start(
            database: directory.appendingPathComponent("demo.db").path, arguments: ["--visitors", "2000", "--admin-token", "dash-token-7"],
            command: ["demo"], timeout: 300)
        defer { process.terminate(); process.waitUntilExit() }
        let shots = Self.root.appendingPathComponent("artifacts/dashboard")
        let (status, output) = try await runScript(["python3", Self.root.appendingPathComponent("Tests/Browser/dashboard_pages.py").path,
                                                    "http://127.0.0.1:\(port)", "dash-token-7", shots.path])
        #expect(status == 0, "\(output)")
        #expect(output.contains("checked ") && !output.contains("checked 0 figures"), "\(output)")
        let pngs = try FileManager.default.contentsOfDirectory(atPath: shots.path).filter { $0.hasSuffix(".png") }
        #expect(pngs.count >= 2 * (1 + 2 * 8), "\(pngs)")
    }
}
