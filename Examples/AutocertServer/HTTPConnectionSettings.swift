import Logging
import NIOCore

/// What every HTTP connection of the server shares: the answer's banner, the idle and header
/// timeouts, the connection limiter and the logger. One reference per connection.
final class HTTPConnectionSettings: Sendable {
    let banner: String
    /// How long a connection whose handshake is done may go without reading or writing a byte.
    let idleTimeout: TimeAmount
    /// How long a request head may take from its first byte (or, on a keep-alive connection,
    /// from the end of the response before it) to its last.
    let headerTimeout: TimeAmount
    let limiter: ConnectionLimiter
    let logger: Logger

    init(banner: String, idleTimeout: TimeAmount, headerTimeout: TimeAmount, limiter: ConnectionLimiter, logger: Logger) {
        self.banner = banner
        self.idleTimeout = idleTimeout
        self.headerTimeout = headerTimeout
        self.limiter = limiter
        self.logger = logger
    }
}
