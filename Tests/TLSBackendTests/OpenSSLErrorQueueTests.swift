import AutocertTestSupport
import AutocertTLS
import CAutocertOpenSSL
import Logging
import NIOCore
import NIOPosix
import NIOTLS
import Synchronization
import Testing

/// OpenSSL's error queue is per thread and SSL_get_error reads it: an entry left there by other
/// code on the event loop's thread must not turn the client's close_notify (SSL_ERROR_ZERO_RETURN)
/// or a partial record (SSL_ERROR_WANT_READ) into a failure.
@Suite("OpenSSL backend: a stale error on the event loop's thread", .serialized)
struct OpenSSLErrorQueueTests {
    /// Leaves errors on OpenSSL's queue of the thread it runs on once the handshake is done
    /// (decoding garbage as X.509 pushes ASN.1 errors), and records what the TLS handler reports.
    final class StaleErrorMaker: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let seen = Mutex<[String]>([])

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if case TLSUserEvent.handshakeCompleted = event {
                let garbage: [UInt8] = [0x30, 0x03, 0x02, 0x01]
                garbage.withUnsafeBufferPointer { buffer in
                    var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
                    _ = d2i_X509(nil, &cursor, buffer.count)
                }
                seen.withLock { $0.append(ERR_peek_error() != 0 ? "stale error left" : "no error left") }
            }
            if let event = event as? TLSUserEvent { seen.withLock { $0.append("\(event)".components(separatedBy: "(").first!) } }
            context.fireUserInboundEventTriggered(event)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            seen.withLock { $0.append("error \((error as? TLSBackendError).map { "\($0.code)" } ?? "\(error)")") }
        }
    }

    @Test("the client's close_notify after the handshake is a clean shutdown though the queue holds another's error")
    func staleErrorIsIgnored() async throws {
        let pki = try await TLSTestPKI.create()
        defer { pki.directory.remove() }
        let alpha = try await pki.issue("alpha.test", staple: false)
        var names = StaticCertificateSelector()
        names.add(alpha.key, for: ["alpha.test"])
        let selector = names
        let tls = try BackendKind.openssl.make()
        let recorder = StaleErrorMaker()
        let server = try await TestTLSServer.start(tls, selector: selector, logger: Logger(label: "test"), after: { try $0.addHandler(recorder) })
        // s_client sends one line, then close_notify.
        let hello = OpenSSLTranscript(try await TLSClients.openssl(port: server.port, serverName: "alpha.test", caPath: pki.caPath, []))
        #expect(hello.verified, "\(hello.text)")
        try await Poll.until("the TLS handler's verdict on the client's close_notify") {
            recorder.seen.withLock { $0.count >= 3 }
        }
        await server.stop()
        #expect(recorder.seen.withLock { $0 } == ["stale error left", "handshakeCompleted", "shutdownCompleted"])
    }
}
