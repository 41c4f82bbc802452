import Autocert
import AutocertOpenSSL
import AutocertTestSupport
import Logging
import NIOCore
import NIOPosix

/// A fresh Pebble and an event loop group for the listeners a test puts in front of it.
///
/// ``run(_:_:)`` tears everything down whatever happened: the listeners the test registered
/// are closed, the group is shut down and Pebble and its DNS server are stopped by PID;
/// on failure Pebble's last output is printed first.
final class PebbleSession: Sendable {
    let pebble: PebbleHarness
    let group: any EventLoopGroup
    private let channels = Locked<[any Channel]>([])

    private init(pebble: PebbleHarness, group: any EventLoopGroup) {
        self.pebble = pebble
        self.group = group
    }

    static func run<R>(_ options: PebbleHarness.Options = PebbleHarness.Options(),
                       _ body: (PebbleSession) async throws -> R) async throws -> R {
        let session = PebbleSession(pebble: try await PebbleHarness(options), group: MultiThreadedEventLoopGroup(numberOfThreads: 1))
        do {
            let result = try await body(session)
            await session.tearDown()
            return result
        } catch {
            print("pebble output (tail):\n" + String(session.pebble.pebbleOutput.suffix(3000)))
            await session.tearDown()
            throw error
        }
    }

    /// Registers `channel` to be closed at the end; returns it.
    @discardableResult
    func closingAtEnd(_ channel: any Channel) -> any Channel {
        channels.withLock { $0.append(channel) }
        return channel
    }

    /// Serves `manager`'s http-01 answers where Pebble validates them.
    func listenHTTP01(_ manager: Manager, host: String = "127.0.0.1") async throws {
        closingAtEnd(try await manager.bindHTTP01Listener(port: pebble.httpPort, host: host, on: group))
    }

    /// Serves TLS (tls-alpn-01 answers and certificates) from `manager` over the OpenSSL
    /// backend where Pebble validates tls-alpn-01.
    func listenTLS(_ manager: Manager, host: String = "127.0.0.1", logger: Logger) async throws {
        let backend = OpenSSLBackend()
        closingAtEnd(try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(backend.makeServerHandler(selector: manager, logger: logger))
                }
            }
            .bind(host: host, port: pebble.tlsPort).get())
    }

    private func tearDown() async {
        for channel in channels.withLock({ $0 }) { try? await channel.close() }
        try? await group.shutdownGracefully()
        await pebble.stop()
    }
}
