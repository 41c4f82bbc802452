import Hummingbird
import NIOCore

/// The example's request context: Hummingbird's basic one plus the channel, to tell which
/// HTTP version served a request.
struct AppRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// `HTTP/2` on an HTTP/2 stream's channel, else `HTTP/1.1`: a stream's parent is its
    /// connection, whose parent is the listener; a connection's parent is the listener, which
    /// has none.
    var httpVersion: String { channel.parent?.parent != nil ? "HTTP/2" : "HTTP/1.1" }
}
