import Hummingbird
import StepwiseEngine

/// A report whose store is away is a clear client-facing error: 503, try again shortly.
struct ReportUnavailableMiddleware: RouterMiddleware {
    typealias Context = StepwiseRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as ReportUnavailable {
            var failure = APIError(.serviceUnavailable, code: "store_unavailable", error.reason)
            failure.headers[.retryAfter] = "5"
            throw failure
        }
    }
}
