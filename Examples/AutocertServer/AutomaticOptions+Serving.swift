import Autocert
import ExampleSupport
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

extension AutomaticOptions {
    /// Runs `manager` (renewal, stapling) and the port-80 listener while `body` runs.
    func serving(_ manager: Manager?, group: any EventLoopGroup, host: String, httpsPort: Int, logger: Logger,
                 _ body: () async throws -> Void) async throws {
        guard let manager else { return try await body() }
        var http: (any Channel)?
        if httpPort != 0 {
            let makeHandler = manager.http01HandlerFactory(httpsPort: httpsPort)
            let channel = try await ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                        try channel.pipeline.syncOperations.addHandler(makeHandler())
                    }
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
