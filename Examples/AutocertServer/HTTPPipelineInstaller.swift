import AutocertTLS
import NIOCore
import NIOHTTP1
import NIOHTTP2

/// Stands after the TLS handler: adds the HTTP/1.1 server handlers and ``HelloHandler`` when
/// the first decrypted bytes arrive, or NIOHTTP2's handler with ``HelloHandler`` on each
/// stream when ALPN chose `h2` (RFC 9113 §3.2), and closes connections that outstay the idle
/// and header timeouts (``HTTPConnectionSettings``).
///
/// On HTTP/2 the header timeout bounds the wait for the next stream's request head once
/// every response has ended (as the wait for the next request on a keep-alive HTTP/1.1
/// connection), and the idle timeout counts every frame read or written.
///
/// The HTTP handlers come only once a request starts, as nginx creates its request state: a
/// connection that never sends a request (a port probe, a client that hangs up after the
/// handshake, a tls-alpn-01 validation) costs no HTTP handlers, and the handshake events do
/// not travel through them. Its timer starts when the handshake completes (until then the TLS
/// handler's handshake timeout holds); reads and writes only note the time, so the timer is
/// moved only when a deadline comes nearer.
final class HTTPPipelineInstaller: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let settings: HTTPConnectionSettings
    private var installed = false
    /// When the connection last read or wrote.
    var lastActivity = NIODeadline.uptimeNanoseconds(0)
    /// When the request head awaited must be complete; nil when none is awaited.
    var headDeadline: NIODeadline?
    /// Whether any byte has arrived since ``headDeadline`` was set.
    var headStarted = false
    /// The one timer, and when it fires.
    var timer: (callback: NIOScheduledCallback, at: NIODeadline)?
    var context: ChannelHandlerContext?
    /// Whether ALPN chose HTTP/2 (the handshake event says).
    var http2 = false

    init(settings: HTTPConnectionSettings) { self.settings = settings }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimer(context: context)
        self.context = nil
        settings.limiter.released()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let handshake = event as? TLSHandshakeCompleted {
            http2 = handshake.applicationProtocol == "h2"
            lastActivity = .now()
            schedule(at: lastActivity + settings.idleTimeout, context: context)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastActivity = .now()
        if !installed {
            installed = true
            do {
                if http2 { try installHTTP2(context: context) } else { try installHTTP1(context: context) }
            } catch {
                context.fireErrorCaught(error)
                context.close(promise: nil)
                return
            }
        }
        if headDeadline != nil { headStarted = true }
        context.fireChannelRead(data)
        // Checked after the HTTP handlers had the bytes: a head that came whole moves no timer.
        if let headDeadline { schedule(at: headDeadline, context: context) }
    }

    private func installHTTP1(context: ChannelHandlerContext) throws {
        // Nothing stands after this handler, so `.last` is right after it.
        try context.pipeline.syncOperations.configureHTTPServerPipeline(position: .last)
        try context.pipeline.syncOperations.addHandler(RequestHeadWatcher(installer: self), position: .last)
        try context.pipeline.syncOperations.addHandler(HelloHandler(body: settings.banner), position: .last)
    }

    /// NIOHTTP2's handler after this one; each stream gets the HTTP/1 view of its frames
    /// (NIOHTTP2's codec), a ``RequestHeadWatcher`` and a ``HelloHandler``. Streams run on
    /// this connection's event loop.
    private func installHTTP2(context: ChannelHandlerContext) throws {
        let installer = NIOLoopBound(self, eventLoop: context.eventLoop)
        let banner = settings.banner
        awaitHead()  // the preface and the first HEADERS must come within the header timeout
        _ = try context.pipeline.syncOperations.configureHTTP2Pipeline(
            mode: .server, connectionConfiguration: .init(), streamConfiguration: .init(), position: .last
        ) { stream in
            stream.eventLoop.makeCompletedFuture {
                try stream.pipeline.syncOperations.addHandlers(
                    HTTP2FramePayloadToHTTP1ServerCodec(), RequestHeadWatcher(installer: installer.value), HelloHandler(body: banner))
            }
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        lastActivity = .now()
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelTimer(context: context)
        context.fireChannelInactive()
    }
}
