import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import StepwiseCore

/// Where Stepwise's ClickHouse is and who it is there (`--clickhouse`, SPEC §5).
public struct ClickHouseEndpoint: Sendable, Equatable {
    public var url: String
    public var database: String
    public var user: String?
    public var password: String?

    public init(url: String, database: String = "stepwise", user: String? = nil, password: String? = nil) throws(ClickHouseError) {
        var trimmed = url
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard let parsed = URL(string: trimmed), let scheme = parsed.scheme, scheme == "http" || scheme == "https", parsed.host != nil,
              parsed.path.isEmpty, parsed.query == nil
        else {
            throw ClickHouseError.invalid(field: "--clickhouse", "'\(url)' must be an http(s) URL with a host and port and nothing after them, e.g. http://127.0.0.1:8123")
        }
        guard Self.isIdentifier(database) else {
            throw ClickHouseError.invalid(field: "--clickhouse-database", "'\(database)' must be letters, digits and _, not starting with a digit")
        }
        self.url = trimmed
        self.database = database
        self.user = user
        self.password = password
    }

    static func isIdentifier(_ text: String) -> Bool {
        guard let first = text.utf8.first, !(48...57).contains(first), text.utf8.count <= 64 else { return false }
        return text.utf8.allSatisfy { (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) || $0 == 95 }
    }
}

public enum ClickHouseError: Error, Sendable, CustomStringConvertible, Equatable {
    /// A setting given to Stepwise is wrong: which one, and why.
    case invalid(field: String, String)
    /// ClickHouse answered with an error (its code and text).
    case server(status: Int, String)
    /// ClickHouse could not be reached.
    case unreachable(String)
    /// The answer was not what the query promised.
    case malformed(String)

    public var description: String {
        switch self {
        case .invalid(let field, let reason): "\(field): \(reason)"
        case .server(let status, let text): "ClickHouse answered \(status): \(text.prefix(600))"
        case .unreachable(let reason): "ClickHouse is unreachable: \(reason)"
        case .malformed(let reason): "ClickHouse answered something unexpected: \(reason)"
        }
    }
}

/// ClickHouse's HTTP interface: statements, inserts and compact JSON answers.
public struct ClickHouseClient: Sendable {
    public let endpoint: ClickHouseEndpoint
    let http: HTTPClient

    /// Fails fast when ClickHouse is away (no connection retries until the request's deadline):
    /// the writer has its own retries and spool, and a report should say 503 at once.
    public static let http: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = .seconds(3)
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 16
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    public init(_ endpoint: ClickHouseEndpoint, http: HTTPClient = ClickHouseClient.http) {
        self.endpoint = endpoint
        self.http = http
    }

    /// Runs a statement that answers nothing (DDL, INSERT with its data in `body`).
    public func execute(_ sql: String, body: ByteBuffer? = nil, database: Bool = true, timeout: TimeAmount = .seconds(60)) async throws {
        _ = try await send(sql, body: body, database: database, timeout: timeout)
    }

    /// Runs a SELECT and returns its rows (`FORMAT JSONCompact`, 64-bit integers unquoted).
    public func rows(_ sql: String, database: Bool = true, timeout: TimeAmount = .seconds(300)) async throws -> [[JSONValue]] {
        let text = try await send(sql + "\nFORMAT JSONCompact", body: nil, database: database, timeout: timeout)
        guard case .object(let answer) = try JSONParser.parse(text), case .array(let data)? = answer["data"] else {
            throw ClickHouseError.malformed("no data in \(text.prefix(200))")
        }
        return try data.map { row in
            guard case .array(let values) = row else { throw ClickHouseError.malformed("a row is not an array") }
            return values
        }
    }

    private func send(_ sql: String, body: ByteBuffer?, database: Bool, timeout: TimeAmount) async throws -> String {
        var query = "output_format_json_quote_64bit_integers=0"
        if database { query += "&database=\(endpoint.database)" }
        let statement: ByteBuffer
        var request: HTTPClientRequest
        if let body {
            // The statement goes in the URL and the data in the body. Into a cluster's Distributed
            // table, the insert answers once every shard has stored its rows (not once they are
            // queued on this server): an event is acknowledged only when it is readable.
            query += "&insert_distributed_sync=1"
            request = HTTPClientRequest(url: endpoint.url + "/?" + query + "&query=" + Self.percentEncoded(sql))
            statement = body
        } else {
            request = HTTPClientRequest(url: endpoint.url + "/?" + query)
            statement = ByteBuffer(string: sql)
        }
        request.method = .POST
        request.body = .bytes(statement)
        if let user = endpoint.user { request.headers.add(name: "X-ClickHouse-User", value: user) }
        if let password = endpoint.password { request.headers.add(name: "X-ClickHouse-Key", value: password) }
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: timeout)
        } catch {
            throw ClickHouseError.unreachable("\(endpoint.url): \(error)")
        }
        var buffer = try await response.body.collect(upTo: 1 << 30)
        let text = buffer.readString(length: buffer.readableBytes) ?? ""
        guard response.status == .ok else { throw ClickHouseError.server(status: Int(response.status.code), text) }
        return text
    }

    static func percentEncoded(_ text: String) -> String {
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}

extension ClickHouseClient {
    /// One row into a small table every node reads (`plans`, `sites`), with `seq` the time in
    /// microseconds: the latest row of a key wins.
    func insertLatest(_ table: String, _ fields: KeyValuePairs<String, JSONValue>) async throws {
        var object = JSONObject()
        for (key, value) in fields { object.append(key, value) }
        // The object without its closing brace, then `seq` as an integer (a double would print as 1.8e+15).
        let row = JSONWriter.write(.object(object)).dropLast() + ",\"seq\":\(UInt64(Date().timeIntervalSince1970 * 1_000_000))}\n"
        try await execute("INSERT INTO \(endpoint.database).\(table) FORMAT JSONEachRow", body: ByteBuffer(string: String(row)))
    }
}
