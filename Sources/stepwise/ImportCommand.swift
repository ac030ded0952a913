import ArgumentParser
import Foundation
import StepwiseStorage

/// `stepwise import FILE|-`: bulk load canonical events.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import canonical events from NDJSON or CSV.",
        discussion: "Exit 0 when every line was stored or was a duplicate, 2 when some lines were rejected.")

    enum Format: String, ExpressibleByArgument, CaseIterable { case ndjson, csv }

    @Argument(help: "File to import, or - for standard input.")
    var file: String

    @Option(help: "Input format (default: from the file name, else ndjson).")
    var format: Format?

    @OptionGroup var store: StoreOptions

    func run() async throws {
        let format = self.format ?? (file.lowercased().hasSuffix(".csv") ? .csv : .ndjson)
        let descriptor: Int32 = file == "-" ? 0 : Foundation.open(file, O_RDONLY)
        guard descriptor >= 0 else { throw CLIError.usage("cannot open \(file): \(String(cString: strerror(errno)))") }
        defer { if descriptor != 0 { close(descriptor) } }
        let importer = EventImporter(store: try store.open(loadEngine: false))
        let started = Date()
        let summary: ImportSummary
        do {
            switch format {
            case .ndjson:
                summary = try await importer.importNDJSON(fileDescriptor: descriptor)
            case .csv:
                let data = FileHandle(fileDescriptor: descriptor, closeOnDealloc: false).readDataToEndOfFile()
                guard let text = String(data: data, encoding: .utf8) else { throw CLIError.usage("\(file) is not UTF-8 text") }
                summary = try await importer.importCSV(text)
            }
        } catch let error as StoreError {
            throw CLIError.usage(error.message)
        }
        for rejection in summary.rejected {
            let field = rejection.field.map { " [\($0)]" } ?? ""
            FileHandle.standardError.write(Data("line \(rejection.line): \(rejection.code)\(field): \(rejection.message)\n".utf8))
        }
        if summary.rejectedCount > summary.rejected.count {
            FileHandle.standardError.write(Data("… and \(summary.rejectedCount - summary.rejected.count) more rejected lines\n".utf8))
        }
        let seconds = Date().timeIntervalSince(started)
        let total = summary.accepted + summary.duplicates + summary.rejectedCount
        print("accepted \(summary.accepted), duplicates \(summary.duplicates), rejected \(summary.rejectedCount) "
              + "(\(total) lines in \(String(format: "%.2f", seconds)) s, \(Int(Double(total) / max(seconds, 1e-6))) events/s)")
        if summary.rejectedCount > 0 { throw ExitCode(2) }
    }
}
