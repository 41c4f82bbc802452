import AutocertGnuTLS
import AutocertOpenSSL
import AutocertTLS
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing

/// The backends under test.
enum BackendKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case openssl, gnutls

    var testDescription: String { rawValue }

    func make(_ configuration: TLSServerConfiguration = TLSServerConfiguration()) throws -> any TLSBackend {
        switch self {
        case .openssl: OpenSSLBackend(configuration: configuration)
        case .gnutls: try GnuTLSBackend(configuration: configuration)
        }
    }
}

/// An HTTPS server in the test process on 127.0.0.1 and a free port, on `threads` event loops.
struct TestTLSServer: Sendable {
    let group: MultiThreadedEventLoopGroup
    let channel: any Channel
    let port: Int

    /// - Parameters:
    ///   - before: adds handlers ahead of the TLS handler (they see ciphertext).
    ///   - after: adds handlers behind it (plaintext); by default an HTTP/1.1 server answering
    ///     every request with a fixed body.
    static func start(
        _ backend: any TLSBackend, selector: any CertificateSelector, logger: Logger, threads: Int = 1,
        allowRemoteHalfClosure: Bool = false,
        before: @escaping @Sendable (ChannelPipeline.SynchronousOperations) throws -> Void = { _ in },
        after: (@Sendable (ChannelPipeline.SynchronousOperations) throws -> Void)? = nil
    ) async throws -> TestTLSServer {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let body = "hello from autocert-server over \(backend.name)\n"
        let after = after ?? { pipeline in
            try pipeline.configureHTTPServerPipeline()
            try pipeline.addHandler(TestHelloHandler(body: body))
        }
        do {
            let channel = try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 2048)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.allowRemoteHalfClosure, value: allowRemoteHalfClosure)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try before(channel.pipeline.syncOperations)
                        try channel.pipeline.syncOperations.addHandler(backend.makeServerHandler(selector: selector, logger: logger))
                        try after(channel.pipeline.syncOperations)
                    }
                }
                .bind(host: "127.0.0.1", port: 0).get()
            return TestTLSServer(group: group, channel: channel, port: channel.localAddress!.port!)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    func stop() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
    }
}

/// Answers each request with a fixed body and closes when asked to.
final class TestHelloHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    private let body: String
    private var keepAlive = true

    init(body: String) { self.body = body }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): keepAlive = head.isKeepAlive
        case .body: break
        case .end:
            var headers = HTTPHeaders([("Content-Length", "\(body.utf8.count)")])
            if !keepAlive { headers.add(name: "Connection", value: "close") }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
            let keepAlive = self.keepAlive
            context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
                if !keepAlive { context.close(promise: nil) }
            }
        }
    }
}
