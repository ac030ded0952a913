import Hummingbird
import StepwiseEngine

/// A report the backend cannot answer is a clear client-facing error: 501 when it has no
/// form of it (a report not pushed down to ClickHouse yet), 503 when its store is away.
struct ReportUnavailableMiddleware: RouterMiddleware {
    typealias Context = StepwiseRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as ReportUnavailable {
            switch error.kind {
            case .notSupported: throw APIError(.notImplemented, code: "report_not_supported", error.reason)
            case .storeUnavailable:
                var failure = APIError(.serviceUnavailable, code: "store_unavailable", error.reason)
                failure.headers[.retryAfter] = "5"
                throw failure
            }
        }
    }
}
