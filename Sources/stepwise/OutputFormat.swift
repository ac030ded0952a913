import ArgumentParser

/// `--format table|json|csv`, shared by every report.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, csv
}
