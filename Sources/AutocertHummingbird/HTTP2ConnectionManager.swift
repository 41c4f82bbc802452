import NIOCore
import NIOHTTP2

/// Ends an HTTP/2 connection politely (RFC 9113 §6.8): on graceful shutdown (Hummingbird's
/// `ChannelShouldQuiesceEvent`) or once no stream has been open for the idle timeout, it sends
/// GOAWAY naming the last stream it took and closes when the open streams have ended (or
/// the graceful close timeout has passed).
///
/// Stands after NIOHTTP2's handler, which tells it of streams through ``streamDelegate(on:)``.
/// One timer at a time (idle or grace), a scheduled callback. Event-loop bound.
final class HTTP2ConnectionManager: ChannelDuplexHandler {
    typealias InboundIn = HTTP2Frame
    typealias InboundOut = HTTP2Frame
    typealias OutboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    private let idleTimeout: TimeAmount?
    private let gracefulCloseTimeout: TimeAmount?
    private var context: ChannelHandlerContext?
    private var openStreams = 0
    /// The highest stream the client opened: what GOAWAY names as processed.
    private var lastStreamID = HTTP2StreamID.rootStream
    private var goingAway = false
    private var timer: NIOScheduledCallback?

    init(idleTimeout: TimeAmount?, gracefulCloseTimeout: TimeAmount?) {
        self.idleTimeout = idleTimeout
        self.gracefulCloseTimeout = gracefulCloseTimeout
    }

    /// The delegate NIOHTTP2's handler tells of each stream opened and closed.
    func streamDelegate(on eventLoop: any EventLoop) -> any NIOHTTP2StreamDelegate {
        StreamCounter(manager: NIOLoopBound(self, eventLoop: eventLoop))
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        startTimer(idleTimeout)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimer()
        self.context = nil
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent { goAway() }
        context.fireUserInboundEventTriggered(event)
    }

    private func streamOpened(_ id: HTTP2StreamID) {
        openStreams += 1
        lastStreamID = max(lastStreamID, id)
        if !goingAway { cancelTimer() }
    }

    private func streamClosed() {
        openStreams -= 1
        guard openStreams == 0 else { return }
        if goingAway {
            context?.close(promise: nil)
        } else {
            startTimer(idleTimeout)
        }
    }

    /// GOAWAY (NO_ERROR) naming the last stream taken; close now if none is open, else when
    /// they end or the grace period passes.
    private func goAway() {
        guard !goingAway, let context else { return }
        goingAway = true
        cancelTimer()
        let frame = HTTP2Frame(streamID: .rootStream, payload: .goAway(lastStreamID: lastStreamID, errorCode: .noError, opaqueData: nil))
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
        if openStreams == 0 {
            context.close(promise: nil)
        } else {
            startTimer(gracefulCloseTimeout)
        }
    }

    private func startTimer(_ delay: TimeAmount?) {
        guard let delay, let context else { return }
        cancelTimer()
        timer = try? context.eventLoop.assumeIsolated().scheduleCallback(in: delay, handler: self)
    }

    private func cancelTimer() {
        guard let timer, let context else { return }
        self.timer = nil
        context.eventLoop.assumeIsolated().cancelScheduledCallback(timer)
    }

    /// Counts streams for the manager; NIOHTTP2's handler calls it on the connection's loop.
    private struct StreamCounter: NIOHTTP2StreamDelegate {
        let manager: NIOLoopBound<HTTP2ConnectionManager>

        func streamCreated(_ id: HTTP2StreamID, channel: any Channel) { manager.value.streamOpened(id) }
        func streamClosed(_ id: HTTP2StreamID, channel: any Channel) { manager.value.streamClosed() }
    }
}

extension HTTP2ConnectionManager: NIOScheduledCallbackHandler {
    /// The idle timeout passed (GOAWAY, close) or the grace period did (close).
    func handleScheduledCallback(eventLoop: some EventLoop) {
        timer = nil
        if goingAway { context?.close(promise: nil) } else { goAway() }
    }
}
