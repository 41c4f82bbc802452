import Logging
import NIOCore

/// Stands in the listening channel's pipeline and counts each accepted connection in the
/// ``ConnectionLimiter``; at the cap it pauses accepting and says so in a warning, at most
/// one line every ``logInterval`` (a server held at its cap pauses once per freed slot).
final class AcceptLimitHandler: ChannelInboundHandler {
    typealias InboundIn = any Channel
    typealias InboundOut = any Channel

    /// The least time between two "connection limit reached" lines.
    static let logInterval = TimeAmount.seconds(10)

    private let limiter: ConnectionLimiter
    private let logger: Logger
    private var lastLogged: NIODeadline?
    private var pausesNotLogged = 0

    init(limiter: ConnectionLimiter, logger: Logger) {
        self.limiter = limiter
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let atCap = limiter.accepted()
        context.fireChannelRead(data)
        guard atCap else { return }
        do {
            try limiter.pause(context.channel)
        } catch {
            logger.error("could not pause accepting at the connection limit: \(error)")
            return
        }
        let now = NIODeadline.now()
        if let lastLogged, now - lastLogged < Self.logInterval {
            pausesNotLogged += 1
            return
        }
        lastLogged = now
        let repeats = pausesNotLogged == 0 ? "" : " (reached \(pausesNotLogged) more times since the last line)"
        pausesNotLogged = 0
        logger.warning(
            "connection limit reached: \(limiter.maximum) connections open; not accepting until one closes\(repeats); raise --max-connections if this is load, not an attack",
            metadata: ["max-connections": "\(limiter.maximum)"])
    }
}
