import Autocert
import NIOCore
import NIOHTTP1
import NIOPosix

extension Manager {
    /// Serves this Manager's http-01 answers on 127.0.0.1:`port` (where Pebble validates).
    func bindHTTP01Listener(port: Int, host: String = "127.0.0.1", on group: any EventLoopGroup) async throws -> any Channel {
        let makeHandler = http01HandlerFactory()
        return try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(makeHandler())
                }
            }
            .bind(host: host, port: port).get()
    }
}
