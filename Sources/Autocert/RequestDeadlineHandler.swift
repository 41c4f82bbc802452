import Logging
import NIOCore
import NIOHTTP1

/// Closes an HTTP/1.1 connection that outstays its deadlines: no whole request head within
/// the head timeout of the handler's start (the connection's, or the handshake's end behind
/// TLS) or of the previous keep-alive response's end; or, when an idle timeout is given,
/// nothing read or written for it while a request is in progress. RFC 9112 §9.3 lets a server
/// close an idle persistent connection at any time.
///
/// Stands after the HTTP/1.1 server handlers (request and response parts of NIOHTTP1's or
/// HTTPTypes' kind, told apart by the two closures). Requests in flight are counted, so that
/// a pipelined request whose head came before the previous response ended (Hummingbird does
/// not hold those back, NIO's pipelining handler does) is not given a head deadline while it
/// is being answered. One timer per connection, moved only when a deadline comes nearer.
/// Event-loop bound.
package final class RequestDeadlineHandler<Request, Response>: ChannelDuplexHandler, RemovableChannelHandler, NIOScheduledCallbackHandler {
    package typealias InboundIn = Request
    package typealias InboundOut = Request
    package typealias OutboundIn = Response
    package typealias OutboundOut = Response

    private let requestHeadTimeout: TimeAmount
    private let idleTimeout: TimeAmount?
    /// Whether a part is a request head, and whether its connection stays open after it.
    private let headKeepAlive: (Request) -> Bool?
    /// Whether a part ends a response.
    private let endsResponse: (Response) -> Bool
    private let logger: Logger
    /// When the awaited request head must be whole; nil while a request is in progress.
    private var headDeadline: NIODeadline?
    /// When the connection last read or wrote, on its event loop's clock (`EventLoop.now`).
    private var lastActivity = NIODeadline.uptimeNanoseconds(0)
    private var keepAlive = true
    /// Requests whose head has come and whose response has not ended.
    private var requestsInFlight = 0
    private var timer: (callback: NIOScheduledCallback, at: NIODeadline)?
    private var context: ChannelHandlerContext?

    /// - Parameters:
    ///   - headKeepAlive: nil for a part that is not a head, else whether the request keeps
    ///     its connection open (HTTP/1.1 without `Connection: close`, RFC 9112 §9.3).
    ///   - endsResponse: whether a part is a response's end.
    package init(requestHeadTimeout: TimeAmount, idleTimeout: TimeAmount?, logger: Logger,
                 headKeepAlive: @escaping (Request) -> Bool?, endsResponse: @escaping (Response) -> Bool) {
        self.requestHeadTimeout = requestHeadTimeout
        self.idleTimeout = idleTimeout
        self.headKeepAlive = headKeepAlive
        self.endsResponse = endsResponse
        self.logger = logger
    }

    package func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        lastActivity = context.eventLoop.now
        awaitHead(context: context)
    }

    package func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimer(context: context)
        self.context = nil
    }

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastActivity = context.eventLoop.now
        if let keepAlive = headKeepAlive(unwrapInboundIn(data)) {
            self.keepAlive = keepAlive
            requestsInFlight += 1
            headDeadline = nil
            if let idleTimeout { schedule(at: lastActivity + idleTimeout, context: context) }
        }
        context.fireChannelRead(data)
    }

    package func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        lastActivity = context.eventLoop.now
        // Before passing the end on: the pipelining handler may hand the next head over at once.
        if endsResponse(unwrapOutboundIn(data)) {
            requestsInFlight = max(0, requestsInFlight - 1)
            if keepAlive, requestsInFlight == 0 { awaitHead(context: context) }
        }
        context.write(data, promise: promise)
    }

    package func channelInactive(context: ChannelHandlerContext) {
        cancelTimer(context: context)
        context.fireChannelInactive()
    }

    package func handleScheduledCallback(eventLoop: some EventLoop) {
        timer = nil
        guard let context, context.channel.isActive else { return }
        let now = eventLoop.now
        if let headDeadline {
            guard headDeadline > now else { return close(context, "no whole request head within \(Self.seconds(requestHeadTimeout)) s") }
            return schedule(at: headDeadline, context: context)
        }
        guard let idleTimeout else { return }
        let idleDeadline = lastActivity + idleTimeout
        guard idleDeadline > now else { return close(context, "idle for \(Self.seconds(idleTimeout)) s during a request") }
        schedule(at: idleDeadline, context: context)
    }

    private func awaitHead(context: ChannelHandlerContext) {
        let deadline = context.eventLoop.now + requestHeadTimeout
        headDeadline = deadline
        schedule(at: deadline, context: context)
    }

    private func close(_ context: ChannelHandlerContext, _ reason: String) {
        logger.debug("closing an HTTP connection: \(reason)",
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

extension RequestDeadlineHandler where Request == HTTPServerRequestPart, Response == HTTPServerResponsePart {
    /// For NIOHTTP1's server parts, as the plain-HTTP listener uses them.
    package convenience init(limits: PlainHTTPLimits, logger: Logger) {
        self.init(requestHeadTimeout: limits.requestHeadTimeout, idleTimeout: limits.idleTimeout, logger: logger,
                  headKeepAlive: { part in if case .head(let head) = part { head.isKeepAlive } else { nil } },
                  endsResponse: { part in if case .end = part { true } else { false } })
    }
}
