import Crypto
import Foundation
import Hummingbird

/// `GET /js/stepwise.js`: the tracker, cacheable and revalidated by its ETag so a site's
/// visitors fetch it once and pick up a new version within the hour.
struct TrackerScript: Sendable {
    static let body = ByteBuffer(bytes: PackageResources.stepwise_js)
    /// A strong validator: the content's SHA-256, so it changes exactly when the script does.
    static let etag = "\"" + SHA256.hash(data: Data(PackageResources.stepwise_js)).prefix(12).map { String(format: "%02x", $0) }.joined() + "\""

    func addRoutes(to router: Router<StepwiseRequestContext>) {
        // HEAD too: CDNs and uptime checks ask for the headers alone.
        router.head("/js/stepwise.js") { _, _ in
            Response(status: .ok, headers: [.cacheControl: "public, max-age=3600", .eTag: Self.etag,
                                            .contentType: "application/javascript; charset=utf-8",
                                            .contentLength: String(Self.body.readableBytes)])
        }
        router.get("/js/stepwise.js") { request, _ in
            var headers: HTTPFields = [.cacheControl: "public, max-age=3600", .eTag: Self.etag]
            if let match = request.headers[.ifNoneMatch], match.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == Self.etag }) {
                return Response(status: .notModified, headers: headers)
            }
            headers[.contentType] = "application/javascript; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: Self.body))
        }
    }
}
