import Hummingbird

/// CORS for browser senders: an origin is allowed when no list is configured or it is on
/// the list. Answers preflights itself; a disallowed origin gets no CORS headers, so the
/// browser blocks the request.
struct CORSPolicy<Context: RequestContext>: RouterMiddleware {
    let origins: Set<String>
    /// Registered sites' origins, read per request so a new site needs no restart.
    var registry: SiteRegistry?

    func isAllowed(_ origin: String) -> Bool {
        let registered = registry?.origins ?? []
        return (origins.isEmpty && registered.isEmpty) || origins.contains(origin) || registered.contains(origin)
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin] else { return try await next(request, context) }
        let allowed = isAllowed(origin)
        var response: Response
        if request.method == .options {
            response = Response(status: allowed ? .noContent : .forbidden)
            if allowed {
                response.headers[.accessControlAllowMethods] = "GET, POST, OPTIONS"
                response.headers[.accessControlAllowHeaders] = "Content-Type, Authorization, X-Stepwise-Key"
                response.headers[.accessControlMaxAge] = "86400"
            }
        } else {
            do {
                response = try await next(request, context)
            } catch let error as any HTTPResponseError {
                response = try error.response(from: request, context: context)
            }
        }
        if allowed { response.headers[.accessControlAllowOrigin] = origin }
        response.headers[.vary] = "Origin"
        return response
    }
}
