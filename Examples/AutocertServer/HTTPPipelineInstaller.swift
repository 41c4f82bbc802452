import NIOCore
import NIOHTTP1

/// Stands after the TLS handler and adds the HTTP/1.1 server handlers and ``HelloHandler``
/// when the first decrypted bytes arrive, as nginx creates its request state only once a
/// request starts: a connection that never sends a request (a port probe, a client that
/// hangs up after the handshake, a tls-alpn-01 validation) costs no HTTP handlers, and the
/// handshake events do not travel through them. From then on it only passes events on.
final class HTTPPipelineInstaller: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let banner: String
    private var installed = false

    init(banner: String) { self.banner = banner }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if !installed {
            installed = true
            do {
                // Nothing stands after this handler, so `.last` is right after it.
                try context.pipeline.syncOperations.configureHTTPServerPipeline(position: .last)
                try context.pipeline.syncOperations.addHandler(HelloHandler(body: banner), position: .last)
            } catch {
                context.fireErrorCaught(error)
                context.close(promise: nil)
                return
            }
        }
        context.fireChannelRead(data)
    }
}
