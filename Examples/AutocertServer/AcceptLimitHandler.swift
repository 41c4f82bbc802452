import ExampleSupport
import Logging
import NIOCore

/// Stands in the listening channel's pipeline and counts each accepted connection in the
/// ``ConnectionLimiter``; at the cap it pauses accepting and says so in a warning, at most
/// one line every ``ConnectionLimitOptions/warningInterval`` (a server held at its cap pauses once per freed slot).
final class AcceptLimitHandler: ChannelInboundHandler {
    typealias InboundIn = any Channel
    typealias InboundOut = any Channel

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
        if let lastLogged, now - lastLogged < ConnectionLimitOptions.warningInterval {
            pausesNotLogged += 1
            return
        }
        lastLogged = now
        logger.warning("\(ConnectionLimitOptions.capReachedWarning(maximum: limiter.maximum, notLogged: pausesNotLogged))",
                       metadata: ["max-connections": "\(limiter.maximum)"])
        pausesNotLogged = 0
    }
}
