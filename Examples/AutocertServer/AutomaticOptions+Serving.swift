import Autocert
import ExampleSupport
import Logging
import NIOCore
import NIOPosix

extension AutomaticOptions {
    /// Runs `manager` (renewal, stapling) and the port-80 listener while `body` runs. The
    /// listener's connections are held to `limits` and counted in `limiter` with the HTTPS ones.
    func serving(_ manager: Manager?, group: any EventLoopGroup, host: String, httpsPort: Int,
                 limits: PlainHTTPLimits, limiter: ConnectionLimiter, logger: Logger,
                 _ body: () async throws -> Void) async throws {
        guard let manager else { return try await body() }
        var http: (any Channel)?
        if httpPort != 0 {
            let initializer = manager.plainHTTPChannelInitializer(httpsPort: httpsPort, limits: limits)
            let channel = try await ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .serverChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(AcceptLimitHandler(limiter: limiter, logger: logger))
                    }
                }
                .childChannelInitializer { channel in
                    channel.closeFuture.whenComplete { _ in limiter.released() }
                    return initializer(channel)
                }
                .bind(host: host, port: httpPort).get()
            logger.notice("listening for http-01 and redirects", metadata: ["http-port": "\(channel.localAddress?.port ?? httpPort)"])
            http = channel
        }
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await manager.run() }
            let events = manager.subscribe()
            tasks.addTask { await Self.logEvents(events, logger: logger) }
            defer { tasks.cancelAll() }
            try await body()
        }
        try? await http?.close()
    }

}
