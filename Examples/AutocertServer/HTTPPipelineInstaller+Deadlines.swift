import Logging
import NIOCore

// MARK: the idle and header timeouts: one timer per connection

extension HTTPPipelineInstaller: NIOScheduledCallbackHandler {
    /// Called when the connection's timer fires (a scheduled callback: no promise, future or closure).
    func handleScheduledCallback(eventLoop: some EventLoop) {
        timer = nil
        if let context { deadlinePassed(context: context) }
    }

    /// A request head is now awaited: the first byte of one arrived, or a keep-alive
    /// response ended. Called by ``RequestHeadWatcher``.
    func awaitHead() {
        headDeadline = .now() + settings.headerTimeout
        headStarted = false
    }

    /// The awaited head arrived whole.
    func headReceived() {
        headDeadline = nil
    }

    /// After a keep-alive response: the next head must come within the header timeout.
    func awaitNextHead() {
        awaitHead()
        if let context, let headDeadline { schedule(at: headDeadline, context: context) }
    }

    /// Makes the timer fire by `deadline` (moves it only when it would fire later).
    func schedule(at deadline: NIODeadline, context: ChannelHandlerContext) {
        if let timer {
            guard timer.at > deadline else { return }
            context.eventLoop.assumeIsolated().cancelScheduledCallback(timer.callback)
        }
        guard let callback = try? context.eventLoop.assumeIsolated().scheduleCallback(at: deadline, handler: self) else { return }
        timer = (callback, deadline)
    }

    func cancelTimer(context: ChannelHandlerContext) {
        guard let timer else { return }
        self.timer = nil
        context.eventLoop.assumeIsolated().cancelScheduledCallback(timer.callback)
    }

    private func deadlinePassed(context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        let now = NIODeadline.now()
        if let headDeadline, headDeadline <= now {
            let seconds = Double(settings.headerTimeout.nanoseconds) / 1e9
            settings.logger.debug("closing a connection: no whole request head within \(seconds) s", metadata: peer(context))
            if headStarted && !http2 {  // RFC 9110 §15.5.9; a keep-alive connection that sent nothing is just closed (HTTP/2: no 408 text)
                var answer = context.channel.allocator.buffer(capacity: Self.requestTimeout.utf8.count)
                answer.writeString(Self.requestTimeout)
                context.writeAndFlush(wrapOutboundOut(answer), promise: nil)
            }
            context.close(promise: nil)
            return
        }
        let idleDeadline = lastActivity + settings.idleTimeout
        if idleDeadline <= now {
            let seconds = Double(settings.idleTimeout.nanoseconds) / 1e9
            settings.logger.debug("closing a connection idle for \(seconds) s", metadata: peer(context))
            context.close(promise: nil)
            return
        }
        schedule(at: min(idleDeadline, headDeadline ?? idleDeadline), context: context)
    }

    private func peer(_ context: ChannelHandlerContext) -> Logger.Metadata {
        context.channel.remoteAddress.map { ["peer": "\($0)"] } ?? [:]
    }

    /// The answer to a request whose head did not come in time (RFC 9110 §15.5.9).
    static let requestTimeout = "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
}
