import ExampleSupport
import Logging
import NIOCore

/// Stands in the listening channel's pipeline and counts each accepted connection in the
/// ``ConnectionLimiter``; at the cap it pauses accepting and says so in a warning, at most
/// one line every ``ExampleSupport/ConnectionLimitOptions/warningInterval`` (a server held at its cap pauses once per freed slot).
final class AcceptLimitHandler: ChannelInboundHandler {
    typealias InboundIn = any Channel
    typealias InboundOut = any Channel

    private let limiter: ConnectionLimiter
    private let logger: Logger
    private var warning = ConnectionCapWarning()

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
        warning.reached(maximum: limiter.maximum, logger: logger)
    }
}
