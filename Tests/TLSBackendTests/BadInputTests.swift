import AutocertTestSupport
import AutocertTLS
import NIOCore
import NIOPosix
import Testing

/// Input that is not a good ClientHello ends that connection with one log line, and nothing else.
@Suite("TLS backends: input that is not a good ClientHello", .serialized)
struct BadInputTests {
    static func withServer(
        _ backend: BackendKind, timeout: TimeAmount, allowRemoteHalfClosure: Bool = false,
        _ body: (TestTLSServer, TLSTestPKI, LogCapture, any EventLoopGroup) async throws -> Void
    ) async throws {
        let pki = try await TLSTestPKI.create()
        defer { pki.directory.remove() }
        let leaf = try await pki.issue("alpha.test", staple: true)
        var selector = StaticCertificateSelector()
        selector.add(leaf.key, for: ["alpha.test"])
        let capture = LogCapture()
        let configuration = TLSServerConfiguration(handshakeTimeout: timeout)
        let server = try await TestTLSServer.start(try backend.make(configuration), selector: selector, logger: capture.logger(),
                                                   allowRemoteHalfClosure: allowRemoteHalfClosure)
        let clients = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            try await body(server, pki, capture, clients)
        } catch {
            await server.stop()
            try? await clients.shutdownGracefully()
            throw error
        }
        await server.stop()
        try? await clients.shutdownGracefully()
    }

    static func expectServed(_ server: TestTLSServer, _ pki: TLSTestPKI) async throws {
        let hello = OpenSSLTranscript(try await TLSClients.openssl(port: server.port, serverName: "alpha.test", caPath: pki.caPath, ["-status"]))
        #expect(hello.verified && hello.stapled, "\(hello.text)")
    }

    @Test("garbage, plain HTTP, truncated, oversized, over-fragmented ClientHellos and a two-dot name each end with one log line", arguments: BackendKind.allCases)
    func badInput(_ backend: BackendKind) async throws {
        try await Self.withServer(backend, timeout: .seconds(30)) { server, pki, capture, clients in
            let hello = RawClient.clientHello(serverName: "alpha.test", alpn: ["h2"])
            let cases: [(bytes: [UInt8], halfClose: Bool, logged: String)] = [
                ([0x00, 0xff, 0x13, 0x37, 0x42, 0x99, 0x01, 0x02], false, "not a TLS handshake record"),
                (Array("GET / HTTP/1.1\r\nHost: alpha.test\r\n\r\n".utf8), false, "plain HTTP sent to the TLS port"),
                (Array(hello.prefix(40)), true, "before a whole ClientHello"),
                (RawClient.clientHello(serverName: "alpha.test", alpn: [], extraPadding: 40_000), false, "exceeds the 16384-byte limit"),
                ([22, 3, 1, 0, 4, 2, 0, 0, 0], false, "not ClientHello"),
                (RawClient.clientHello(serverName: "alpha.test..", alpn: ["h2"]), false, "ends in more than one dot"),
                (RawClient.clientHello(serverName: "alpha.test", alpn: ["h2"], extraPadding: 2_500, recordSize: 1), false,
                 "more than 64 TLS records"),
            ]
            for (index, test) in cases.enumerated() {
                let channel = try await RawClient.connect(port: server.port, group: clients)
                try? await RawClient.send(test.bytes, on: channel, thenHalfClose: test.halfClose)
                try await Poll.until("the server to close bad connection \(index)", timeout: .seconds(10)) { !channel.isActive }
                try await Poll.until("the log line for bad connection \(index)", timeout: .seconds(5)) {
                    capture.messages.contains { $0.contains(test.logged) }
                }
                #expect(capture.messages.count == index + 1, "\(capture.messages)")
            }
            try await Self.expectServed(server, pki)
        }
    }

    @Test("with half-closure allowed (as Hummingbird's server), a client that closes its side during the handshake is closed at once, not at the timeout",
          arguments: BackendKind.allCases)
    func halfClosedDuringHandshake(_ backend: BackendKind) async throws {
        try await Self.withServer(backend, timeout: .seconds(60), allowRemoteHalfClosure: true) { server, pki, capture, clients in
            let hello = RawClient.clientHello(serverName: "alpha.test", alpn: ["h2"], keyShare: true)
            let cases: [(bytes: [UInt8], logged: String?)] = [
                ([], nil),  // a port probe: closed without a line
                (Array(hello.prefix(40)), "before a whole ClientHello"),
                (hello, "closed its side of the connection during the handshake"),  // answered, then no Finished
            ]
            var lines = 0
            for (index, test) in cases.enumerated() {
                let channel = try await RawClient.connect(port: server.port, group: clients)
                try? await RawClient.send(test.bytes, on: channel, thenHalfClose: true)
                try await Poll.until("the server to close half-closed connection \(index)", timeout: .seconds(10)) { !channel.isActive }
                if let logged = test.logged {
                    lines += 1
                    try await Poll.until("a log line for half-closed connection \(index)", timeout: .seconds(5)) { capture.messages.count == lines }
                    #expect(capture.messages.last?.contains(logged) == true, "\(capture.messages)")
                }
                #expect(capture.messages.count == lines, "\(capture.messages)")
            }
            try await Self.expectServed(server, pki)
        }
    }

    @Test("a handshake the library refuses is logged with the library's own errors", arguments: BackendKind.allCases)
    func libraryErrors(_ backend: BackendKind) async throws {
        try await Self.withServer(backend, timeout: .seconds(30)) { server, pki, capture, _ in
            // An RSA-only cipher suite against an ECDSA certificate: no shared cipher.
            let refused = OpenSSLTranscript(try await TLSClients.openssl(
                port: server.port, serverName: "alpha.test", caPath: pki.caPath, ["-tls1_2", "-cipher", "AES128-SHA"]))
            #expect(refused.version == "(NONE)", "\(refused.text)")
            try await Poll.until("the handshake failure to be logged", timeout: .seconds(10)) {
                capture.messages.contains { $0.contains("tls.error=handshakeFailed") }
            }
            let line = capture.messages.first { $0.contains("tls.error=handshakeFailed") } ?? ""
            #expect(line.contains("tls.library_errors="), "\(line)")
            #expect(line.contains(backend == .openssl ? "no shared cipher" : "GNUTLS_E_"), "\(line)")
            try await Self.expectServed(server, pki)
        }
    }

    @Test("1,000 stalled handshakes: others are served, all are freed at the timeout", arguments: BackendKind.allCases)
    func stalledHandshakes(_ backend: BackendKind) async throws {
        try await Self.withServer(backend, timeout: .seconds(10)) { server, pki, capture, clients in
            let hello = RawClient.clientHello(serverName: "alpha.test", alpn: ["h2"])
            let started = ContinuousClock.now
            var stalled: [any Channel] = []
            for index in 0..<1_000 {
                let channel = try await RawClient.connect(port: server.port, group: clients)
                if index % 2 == 1 { try await RawClient.send(Array(hello.prefix(60)), on: channel) }
                stalled.append(channel)
            }
            try await Self.expectServed(server, pki)
            try await Self.expectServed(server, pki)
            // Checked only while well inside the 10 s timeout, so a slow machine cannot fail it.
            if ContinuousClock.now - started < .seconds(8) {
                #expect(stalled.allSatisfy { $0.isActive }, "a stalled connection ended before the timeout")
            }
            try await Poll.until("all 1,000 stalled connections to be closed", timeout: .seconds(40)) {
                stalled.allSatisfy { !$0.isActive }
            }
            // The log line may follow the close by a moment: wait (bounded) for all of them.
            try await Poll.until("1,000 handshake-timeout log lines", timeout: .seconds(10)) {
                capture.messages.filter { $0.contains("tls.error=handshakeTimeout") }.count >= 1_000
            }
            let timeouts = capture.messages.filter { $0.contains("tls.error=handshakeTimeout") }
            #expect(timeouts.count == 1_000)
            #expect(capture.messages.count == 1_000, "\(capture.messages.filter { !$0.contains("handshakeTimeout") })")
            try await Self.expectServed(server, pki)
        }
    }
}
