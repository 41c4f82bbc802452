import Autocert
import AutocertOpenSSL
import AutocertGnuTLS
import AutocertTestSupport
import AutocertTLS
import Foundation
import Logging
import NIOCore
import NIOPosix
import Testing

/// The Manager as the selector of a real backend: a real client asks for a staple and gets
/// the one the Manager's stapler fetched right after issuance.
@Suite("Manager behind a TLS backend", .serialized)
struct StapledHandshakeTests {
    @Test("openssl s_client -status gets the new certificate with a good staple", arguments: ["openssl", "gnutls"])
    func stapledHandshake(_ backendName: String) async throws {
        let harness = try Harness(names: ["stapled.example.test"])
        defer { harness.stop() }
        let backend: any TLSBackend = backendName == "openssl" ? OpenSSLBackend() : try GnuTLSBackend()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let manager = harness.manager
        let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(backend.makeServerHandler(selector: manager, logger: logger))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(channel.localAddress?.port)
        do {
            try await harness.running {
                let (_, output) = try await TestProcess.run(
                    "openssl", ["s_client", "-connect", "127.0.0.1:\(port)", "-servername", "stapled.example.test", "-status"],
                    stdin: "", timeout: .seconds(60))
                #expect(output.contains("OCSP Response Status: successful"), "\(output)")
                #expect(output.contains("Cert Status: good"), "\(output)")
                #expect(output.contains("CN=stapled.example.test") || output.contains("CN = stapled.example.test"), "\(output)")
            }
        } catch {
            try? await channel.close()
            try? await group.shutdownGracefully()
            throw error
        }
        try await channel.close()
        try await group.shutdownGracefully()
        #expect(harness.ca.issueCount == 1)
    }
}
