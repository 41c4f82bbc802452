import NIOCore
import NIOHTTP1

/// The one HTTP/1.1 handler every server runs: a 40-byte body for every request, kept alive
/// unless the client asks otherwise. Head, body and end are three writes and one flush, as a
/// SwiftNIO application usually writes them, so that the TLS layer sees what it sees in life.
final class HelloHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// 40 bytes.
    static let body = "hello from the kept-alive benchmark 123\n"
    private var keepAlive = true

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            keepAlive = head.isKeepAlive
        case .body:
            break
        case .end:
            var headers = HTTPHeaders([("Content-Length", "\(Self.body.utf8.count)"), ("Content-Type", "text/plain")])
            if !keepAlive { headers.add(name: "Connection", value: "close") }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: Self.body)))), promise: nil)
            if keepAlive {
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            } else {
                context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            }
        }
    }
}
