import AutocertTestSupport
import AutocertTLS
import Logging
import NIOCore
import NIOPosix
import NIOTLS
import Synchronization
import Testing

/// The TLS handler follows SwiftNIO's conventions (NIOSSL's): `TLSUserEvent.handshakeCompleted`
/// with the ALPN protocol, `TLSUserEvent.shutdownCompleted` on close_notify, and the error that
/// ends a connection passed up with `fireErrorCaught`.
@Suite("TLS handler: SwiftNIO's TLSUserEvent and fireErrorCaught", .serialized)
struct NIOConventionsTests {
    /// Records what reaches the handler after the TLS handler.
    final class Recorder: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let seen = Mutex<[String]>([])

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if let event = event as? TLSUserEvent { seen.withLock { $0.append("\(event)") } }
            context.fireUserInboundEventTriggered(event)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            if let error = error as? TLSBackendError { seen.withLock { $0.append("error \(error.code)") } }
        }
    }

    @Test("handshakeCompleted(h2), shutdownCompleted after the client's close_notify, notTLS passed up", arguments: BackendKind.allCases)
    func conventions(_ backend: BackendKind) async throws {
        let pki = try await TLSTestPKI.create()
        defer { pki.directory.remove() }
        let alpha = try await pki.issue("alpha.test", staple: false)
        var selector = StaticCertificateSelector()
        selector.add(alpha.key, for: ["alpha.test"])
        let tls = try backend.make()
        let recorder = Recorder()
        let server = try await TestTLSServer.start(tls, selector: selector, logger: Logger(label: "test"), after: { try $0.addHandler(recorder) })
        let port = server.port
        let hello = OpenSSLTranscript(try await TLSClients.openssl(port: port, serverName: "alpha.test", caPath: pki.caPath, ["-alpn", "h2"]))
        #expect(hello.alpn == "h2", "\(hello.text)")
        try await Poll.until("shutdownCompleted after the client's close_notify") {
            recorder.seen.withLock { $0 } == [#"handshakeCompleted(negotiatedProtocol: Optional("h2"))"#, "shutdownCompleted"]
        }
        _ = try? await ClientProcess.run("curl", ["-sS", "--max-time", "5", "http://127.0.0.1:\(port)/"], stdin: "")
        try await Poll.until("the notTLS error passed up") { recorder.seen.withLock { $0.last } == "error notTLS" }
        await server.stop()
    }
}
