import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus

/// The metrics and health listener: plain HTTP/1.1, `GET /metrics` answered with the
/// registry in Prometheus text format (version 0.0.4) and `GET /health` with a
/// ``HealthReport``: 200 when healthy, 503 with the reasons otherwise (RFC 9110 §15.6.4).
public struct MetricsEndpoint: Sendable {
    public let channel: any Channel
    /// The port bound (useful with port 0).
    public var port: Int { channel.localAddress?.port ?? 0 }

    public static func start(host: String, port: Int, registry: PrometheusCollectorRegistry, group: any EventLoopGroup,
                             health: @escaping @Sendable () -> HealthReport) async throws -> MetricsEndpoint {
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(registry: registry, health: health))
                }
            }
            .bind(host: host, port: port).get()
        return MetricsEndpoint(channel: channel)
    }

    public func stop() async {
        try? await channel.close()
    }

    /// Answers `/metrics` and `/health`; 404 for other paths, 405 for other methods.
    final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        private let registry: PrometheusCollectorRegistry
        private let health: @Sendable () -> HealthReport
        private var head: HTTPRequestHead?

        init(registry: PrometheusCollectorRegistry, health: @escaping @Sendable () -> HealthReport) {
            self.registry = registry
            self.health = health
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head): self.head = head
            case .body: break
            case .end:
                guard let head else { return }
                self.head = nil
                let (status, type, body) = answer(head)
                var headers = HTTPHeaders([("Content-Type", type), ("Content-Length", "\(body.count)")])
                if !head.isKeepAlive { headers.add(name: "Connection", value: "close") }
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
                if head.method != .HEAD {
                    context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
                }
                let keepAlive = head.isKeepAlive
                context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
                    if !keepAlive { context.close(promise: nil) }
                }
            }
        }

        private func answer(_ head: HTTPRequestHead) -> (HTTPResponseStatus, String, [UInt8]) {
            guard head.method == .GET || head.method == .HEAD else { return (.methodNotAllowed, "text/plain", Array("use GET\n".utf8)) }
            switch head.uri.split(separator: "?").first.map(String.init) ?? "" {
            case "/metrics":
                return (.ok, "text/plain; version=0.0.4; charset=utf-8", registry.emitToBuffer())
            case "/health":
                let report = health()
                return (report.isHealthy ? .ok : .serviceUnavailable, "text/plain; charset=utf-8", Array(report.body.utf8))
            default:
                return (.notFound, "text/plain", Array("try /metrics or /health\n".utf8))
            }
        }
    }
}
