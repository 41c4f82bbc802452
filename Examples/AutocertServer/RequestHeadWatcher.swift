import NIOCore
import NIOHTTP1

/// Stands between NIO's HTTP/1.1 server handlers and the application and tells the
/// ``HTTPPipelineInstaller`` when a request head is awaited and when it is complete, for the
/// header timeout: one is awaited from the first byte of the connection's first request (when
/// this handler is added) and from the end of each keep-alive response (so a client can hold
/// a connection open between requests only as long as it could take to send a head).
///
/// NIO's pipelining handler before it holds a pipelined request back until the response
/// before it has ended, so a head seen here is the one awaited.
final class RequestHeadWatcher: ChannelDuplexHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let installer: HTTPPipelineInstaller
    private var keepAlive = true

    init(installer: HTTPPipelineInstaller) { self.installer = installer }

    func handlerAdded(context: ChannelHandlerContext) {
        installer.awaitHead()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data) {
            keepAlive = head.isKeepAlive || head.version.major == 2  // an HTTP/2 stream ends, its connection stays
            installer.headReceived()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // Before passing the end on: the pipelining handler may hand the next head over at once.
        if keepAlive, case .end = unwrapOutboundIn(data) { installer.awaitNextHead() }
        context.write(data, promise: promise)
    }
}
