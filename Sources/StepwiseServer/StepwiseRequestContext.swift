import Hummingbird
import NIOCore

/// Per-request state: the peer address (for rate limiting) alongside Hummingbird's core.
public struct StepwiseRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }

    /// The ingest limit is enforced by the handler with a precise JSON error.
    public var maxUploadSize: Int { 1 << 20 }

    var clientAddress: String { remoteAddress?.ipAddress ?? "unknown" }
}
