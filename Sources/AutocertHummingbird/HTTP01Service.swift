import Autocert
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// The plain-HTTP listener of an Autocert server as a ServiceLifecycle `Service`: it answers
/// ACME http-01 challenges (RFC 8555 §8.3) from the ``Autocert/Manager`` and redirects every
/// other request to HTTPS (Go autocert's `HTTPHandler(nil)`), closing connections that
/// outstay their ``Autocert/PlainHTTPLimits``.
///
/// It listens until graceful shutdown (or cancellation), then closes its listener.
public struct HTTP01Service: Service {
    private let manager: Manager
    private let host: String
    private let port: Int
    private let httpsPort: Int
    private let limits: PlainHTTPLimits
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger

    /// - Parameters:
    ///   - host, port: where to listen (port 80 for a public server: the CA validates http-01 there).
    ///   - httpsPort: where redirects point; 443 gives URLs without a port.
    ///   - limits: how long a connection may take to send a request head or stay idle in one.
    public init(manager: Manager, host: String = "0.0.0.0", port: Int = 80, httpsPort: Int = 443,
                limits: PlainHTTPLimits = PlainHTTPLimits(),
                eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger) {
        self.manager = manager
        self.host = host
        self.port = port
        self.httpsPort = httpsPort
        self.limits = limits
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
    }

    public func run() async throws {
        let initializer = manager.plainHTTPChannelInitializer(httpsPort: httpsPort, limits: limits)
        let channel: any Channel
        do {
            channel = try await ServerBootstrap(group: eventLoopGroup)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer(initializer)
                .bind(host: host, port: port).get()
        } catch {
            logger.error("could not listen for http-01 and redirects on \(host):\(port): \(error); free the port or choose another", metadata: ["http-port": "\(port)"])
            throw error
        }
        logger.notice("listening for http-01 and redirects", metadata: ["http-port": "\(channel.localAddress?.port ?? port)"])
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                try? await channel.closeFuture.get()
            } onGracefulShutdown: {
                channel.close(promise: nil)
            }
        } onCancel: {
            channel.close(promise: nil)
        }
    }
}
