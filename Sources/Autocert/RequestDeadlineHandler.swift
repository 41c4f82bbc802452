import Logging
import NIOCore
import NIOHTTP1

/// Closes a plain-HTTP connection that outstays its ``PlainHTTPLimits``: no whole request
/// head within the head timeout of the connection's start or of the previous keep-alive
/// response's end, or nothing read or written for the idle timeout while a request is in
/// progress.
///
/// Stands after NIO's HTTP/1.1 server handlers, which hold a pipelined request back until
/// the response before it has ended, so a head seen here is the one awaited. One timer per
/// connection, moved only when a deadline comes nearer. Event-loop bound.
final class PlainHTTPDeadlineHandler: ChannelDuplexHandler, NIOScheduledCallbackHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let limits: PlainHTTPLimits
    private let logger: Logger
    /// When the awaited request head must be whole; nil while a request is in progress.
    private var headDeadline: NIODeadline?
    private var lastActivity = NIODeadline.now()
    private var keepAlive = true
    private var timer: (callback: NIOScheduledCallback, at: NIODeadline)?
    private var context: ChannelHandlerContext?

    init(limits: PlainHTTPLimits, logger: Logger) {
        self.limits = limits
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        lastActivity = .now()
        awaitHead(context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimer(context: context)
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastActivity = .now()
        if case .head(let head) = unwrapInboundIn(data) {
            keepAlive = head.isKeepAlive
            headDeadline = nil
            schedule(at: lastActivity + limits.idleTimeout, context: context)
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        lastActivity = .now()
        // Before passing the end on: the pipelining handler may hand the next head over at once.
        if keepAlive, case .end = unwrapOutboundIn(data) { awaitHead(context: context) }
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelTimer(context: context)
        context.fireChannelInactive()
    }

    func handleScheduledCallback(eventLoop: some EventLoop) {
        timer = nil
        guard let context, context.channel.isActive else { return }
        let now = NIODeadline.now()
        if let headDeadline {
            guard headDeadline > now else { return close(context, "no whole request head within \(Self.seconds(limits.requestHeadTimeout)) s") }
            return schedule(at: headDeadline, context: context)
        }
        let idleDeadline = lastActivity + limits.idleTimeout
        guard idleDeadline > now else { return close(context, "idle for \(Self.seconds(limits.idleTimeout)) s during a request") }
        schedule(at: idleDeadline, context: context)
    }

    private func awaitHead(context: ChannelHandlerContext) {
        let deadline = NIODeadline.now() + limits.requestHeadTimeout
        headDeadline = deadline
        schedule(at: deadline, context: context)
    }

    private func close(_ context: ChannelHandlerContext, _ reason: String) {
        logger.debug("closing a plain-HTTP connection: \(reason)",
                     metadata: context.channel.remoteAddress.map { ["peer": "\($0)"] } ?? [:])
        context.close(promise: nil)
    }

    private static func seconds(_ amount: TimeAmount) -> Double { Double(amount.nanoseconds) / 1e9 }

    /// Makes the timer fire by `deadline`.
    private func schedule(at deadline: NIODeadline, context: ChannelHandlerContext) {
        if let timer {
            guard timer.at > deadline else { return }
            context.eventLoop.assumeIsolated().cancelScheduledCallback(timer.callback)
        }
        guard let callback = try? context.eventLoop.assumeIsolated().scheduleCallback(at: deadline, handler: self) else { return }
        timer = (callback, deadline)
    }

    private func cancelTimer(context: ChannelHandlerContext) {
        guard let timer else { return }
        self.timer = nil
        context.eventLoop.assumeIsolated().cancelScheduledCallback(timer.callback)
    }
}
