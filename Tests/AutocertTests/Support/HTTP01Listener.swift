import Autocert
import NIOCore
import NIOPosix

extension Manager {
    /// Serves this Manager's http-01 answers on 127.0.0.1:`port` (where Pebble validates).
    func bindHTTP01Listener(port: Int, host: String = "127.0.0.1", limits: PlainHTTPLimits = PlainHTTPLimits(),
                            on group: any EventLoopGroup) async throws -> any Channel {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer(plainHTTPChannelInitializer(limits: limits))
            .bind(host: host, port: port).get()
    }
}
