import Foundation
import Hummingbird
import StepwiseEngine
import StepwiseCore

/// An error a client sees as `{"error": {"code", "message", "field"?}}` with a status.
public struct APIError: HTTPResponseError {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var field: String?
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, code: String, _ message: String, field: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
    }

    var body: JSONValue {
        var error = JSONObject(keys: ["code", "message"], values: [.string(code), .string(message)])
        if let field { error.append("field", .string(field)) }
        return .object(JSONObject(keys: ["error"], values: [.object(error)]))
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = Response.json(body, status: status)
        response.headers.append(contentsOf: headers)
        return response
    }
}

extension Response {
    /// A JSON response from a `JSONValue`.
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        let text = JSONWriter.write(value)
        return Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// A JSON response from an `Encodable` report, in the reports' shape (snake_case keys).
    static func json(encoding value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try ReportEncoding.encoder().encode(value)
        return Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension APIError {
    /// A request body that must be one JSON object; `shape` names its fields for the error.
    static func jsonObject(_ body: ByteBuffer, shape: String) throws -> JSONObject {
        let document: JSONValue
        do {
            document = try body.withUnsafeReadableBytes { raw in try JSONParser.parse(buffer: raw.bindMemory(to: UInt8.self)) }
        } catch let error as JSONSyntaxError {
            throw APIError(.badRequest, code: "invalid_json", error.description)
        }
        guard case .object(let object) = document else {
            throw APIError(.badRequest, code: "invalid_body", "body must be an object \(shape)")
        }
        return object
    }
}

extension APIError {
    /// The store could not commit: the sender must retry, and nothing was acknowledged.
    static var storageUnavailable: APIError {
        var error = APIError(.serviceUnavailable, code: "storage_unavailable", "events could not be stored durably; retry later")
        error.headers[.retryAfter] = "1"
        return error
    }
}
