import Foundation

/// One JSON shape for reports everywhere (API and CLI): snake_case keys, sorted, so the
/// same report reads the same from either.
public enum ReportEncoding {
    public static func encoder(pretty: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys] : [.sortedKeys]
        return encoder
    }
}
