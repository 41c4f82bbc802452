import AutocertTestSupport
import Foundation
import Testing

/// The limits `autocert-server` puts on connections that finished their handshake, run as a
/// user would run it with short timeouts, against real `openssl s_client` and TCP clients.
@Suite("autocert-server's limits: --idle-timeout, --header-timeout", .serialized)
struct ExampleServerLimitsTests {
    /// Runs `body` with `autocert-server` serving alpha.test on a free port with `options`,
    /// once it has said it is listening.
    static func withServer(
        _ options: [String], _ body: (TestProcess, Int, TLSTestPKI) async throws -> Void
    ) async throws {
        let pki = try await TLSTestPKI.create()
        defer { pki.directory.remove() }
        let alpha = try await pki.issue("alpha.test", staple: false)
        let port = try FreePort.allocate()
        let server = try TestProcess(try ExampleServerTests.executable(), [
            "--host", "127.0.0.1", "--https-port", "\(port)", "--threads", "1", "--log-level", "debug",
            "--cert", alpha.chainPath, "--key", alpha.keyPath,
        ] + options)
        do {
            try await Poll.until("autocert-server to listen on \(port)", timeout: .seconds(20)) { server.outputText.contains("listening") }
            try await body(server, port, pki)
        } catch {
            await server.stop()
            print("autocert-server output:\n\(server.outputText)")
            throw error
        }
        await server.stop()
    }

    /// `openssl s_client` that completes its handshake, sends `request`, and then, whatever
    /// it is sent, waits for the server to close (-ign_eof).
    static func heldClient(port: Int, pki: TLSTestPKI, sending request: String) throws -> ClientProcess {
        try ClientProcess("openssl", ["s_client", "-connect", "127.0.0.1:\(port)", "-servername", "alpha.test",
                                      "-CAfile", pki.caPath, "-verify_return_error", "-ign_eof"], stdin: request)
    }

    @Test("a connection that finished its handshake and sends nothing is closed after --idle-timeout")
    func idleConnectionIsClosed() async throws {
        try await Self.withServer(["--idle-timeout", "1", "--header-timeout", "60"]) { server, port, pki in
            let started = ContinuousClock.now
            let transcript = OpenSSLTranscript(try await Self.heldClient(port: port, pki: pki, sending: "").finish(timeout: .seconds(20)))
            #expect(transcript.verified, "\(transcript.text)")
            #expect(ContinuousClock.now - started >= .seconds(1))
            try await Poll.until("the idle close to be logged", timeout: .seconds(5)) {
                server.outputText.contains("closing a connection idle for 1.0 s")
            }
        }
    }

    @Test("half a request head gets 408 and a close after --header-timeout; a keep-alive connection gets as long for its next head")
    func slowRequestHeadIsClosed() async throws {
        try await Self.withServer(["--idle-timeout", "60", "--header-timeout", "1"]) { server, port, pki in
            let started = ContinuousClock.now
            let half = try Self.heldClient(port: port, pki: pki, sending: "GET / HTTP/1.1\r\nHost: alpha.test\r\n")
            let keepAlive = try Self.heldClient(port: port, pki: pki, sending: "GET / HTTP/1.1\r\nHost: alpha.test\r\n\r\n")
            let halfTranscript = try await half.finish(timeout: .seconds(20))
            #expect(halfTranscript.contains("HTTP/1.1 408 Request Timeout"), "\(halfTranscript)")
            let keepAliveTranscript = try await keepAlive.finish(timeout: .seconds(20))
            #expect(keepAliveTranscript.contains("hello from autocert-server"), "\(keepAliveTranscript)")
            #expect(!keepAliveTranscript.contains("408"), "\(keepAliveTranscript)")
            #expect(ContinuousClock.now - started >= .seconds(1))
            try await Poll.until("both header-timeout closes to be logged", timeout: .seconds(5)) {
                server.outputText.components(separatedBy: "no whole request head within 1.0 s").count == 3
            }
            #expect(!server.outputText.contains("idle for"))
        }
    }
}
