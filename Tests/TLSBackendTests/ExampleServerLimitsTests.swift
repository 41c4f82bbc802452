import AutocertTestSupport
import Foundation
import NIOCore
import NIOPosix
import Testing

/// The limits the example servers (`autocert-server`, `autocert-hummingbird`) put on
/// connections that finished their handshake, run as a user would run them with short
/// timeouts, against real `openssl s_client` and TCP clients.
@Suite("the example servers' limits: --idle-timeout, --header-timeout, --max-connections", .serialized)
struct ExampleServerLimitsTests {
    /// Runs `body` with `executable` serving alpha.test on a free port with `options`, once it
    /// has said it is listening (no probe connection, which would count as one).
    static func withServer(
        _ options: [String], executable: String = "autocert-server", _ body: (TestProcess, Int, TLSTestPKI) async throws -> Void
    ) async throws {
        let pki = try await TLSTestPKI.create()
        defer { pki.directory.remove() }
        let alpha = try await pki.issue("alpha.test", staple: false)
        let port = try FreePort.allocate()
        let threads = executable == "autocert-server" ? ["--threads", "1"] : []
        let server = try TestProcess(try BuiltProduct.path(executable), [
            "--host", "127.0.0.1", "--https-port", "\(port)", "--log-level", "debug",
            "--cert", alpha.chainPath, "--key", alpha.keyPath,
        ] + threads + options)
        do {
            // autocert-server says "listening", Hummingbird "Server started and listening".
            try await Poll.until("\(executable) to listen on \(port)", timeout: .seconds(20)) { server.outputText.contains("listening") }
            try await body(server, port, pki)
        } catch {
            await server.stop()
            print("\(executable) output:\n\(server.outputText)")
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

    @Test("Hummingbird: half a request head is closed after --header-timeout, a silent connection after --idle-timeout, a request answered first")
    func hummingbirdTimeouts() async throws {
        try await Self.withServer(["--idle-timeout", "60", "--header-timeout", "1"], executable: "autocert-hummingbird") { _, port, pki in
            let started = ContinuousClock.now
            let half = try Self.heldClient(port: port, pki: pki, sending: "GET / HTTP/1.1\r\nHost: alpha.test\r\n")
            let keepAlive = try Self.heldClient(port: port, pki: pki, sending: "GET / HTTP/1.1\r\nHost: alpha.test\r\n\r\n")
            let halfTranscript = OpenSSLTranscript(try await half.finish(timeout: .seconds(20)))
            #expect(halfTranscript.verified && !halfTranscript.text.contains("HTTP/1.1 "), "\(halfTranscript.text)")
            let keepAliveTranscript = try await keepAlive.finish(timeout: .seconds(20))
            #expect(keepAliveTranscript.contains("hello from autocert-hummingbird"), "\(keepAliveTranscript)")
            #expect(ContinuousClock.now - started >= .seconds(1))
        }
        try await Self.withServer(["--idle-timeout", "1", "--header-timeout", "60"], executable: "autocert-hummingbird") { _, port, pki in
            let started = ContinuousClock.now
            let silent = OpenSSLTranscript(try await Self.heldClient(port: port, pki: pki, sending: "").finish(timeout: .seconds(20)))
            #expect(silent.verified, "\(silent.text)")
            #expect(ContinuousClock.now - started >= .seconds(1))
        }
    }

    @Test("at --max-connections the server stops accepting, says so, and accepts again when a connection closes",
          arguments: ["autocert-server", "autocert-hummingbird"])
    func connectionCapPausesAccepting(_ executable: String) async throws {
        let options = ["--max-connections", "2", "--handshake-timeout", "60", "--idle-timeout", "60"]
        try await Self.withServer(options, executable: executable) { server, port, pki in
            let clients = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            do {
                try await Self.pausesAtTwo(port: port, server: server, pki: pki, clients: clients)
            } catch {
                try? await clients.shutdownGracefully()
                throw error
            }
            try? await clients.shutdownGracefully()
        }
    }

    /// The cap test's steps, against a server whose cap is 2.
    static func pausesAtTwo(port: Int, server: TestProcess, pki: TLSTestPKI, clients: any EventLoopGroup) async throws {
        let held = [try await RawClient.connect(port: port, group: clients), try await RawClient.connect(port: port, group: clients)]
        // The line comes once the server has accepted both: no other connection was made.
        try await Poll.until("the connection limit to be logged", timeout: .seconds(10)) {
            server.outputText.contains("connection limit reached: 2 connections open")
        }
        let waiting = try ClientProcess("openssl", ["s_client", "-connect", "127.0.0.1:\(port)", "-servername", "alpha.test",
                                                    "-CAfile", pki.caPath, "-verify_return_error"], stdin: "\n")
        defer { waiting.stop() }
        try await Poll.until("the third connection to wait in the listen backlog", timeout: .seconds(10)) {
            try Self.pendingAccepts(port: port) == 1
        }
        #expect(waiting.isRunning)
        try await held[0].close()
        let transcript = OpenSSLTranscript(try await waiting.finish(timeout: .seconds(20)))
        #expect(transcript.verified, "\(transcript.text)")
        try? await held[1].close()
    }

    /// Connections waiting in the kernel's accept queue of the listener on 127.0.0.1:`port`:
    /// the rx_queue of its LISTEN (0A) line in /proc/net/tcp (Linux, little-endian address).
    static func pendingAccepts(port: Int) throws -> Int? {
        let table = try String(contentsOfFile: "/proc/net/tcp", encoding: .utf8)
        let local = "0100007F:" + String(format: "%04X", port)
        for line in table.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ")
            guard fields.count > 4, fields[1] == local, fields[3] == "0A", let queue = fields[4].split(separator: ":").last else { continue }
            return Int(queue, radix: 16)
        }
        return nil
    }
}
