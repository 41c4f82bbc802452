import AutocertTestSupport
import Foundation
import Testing

/// The Hummingbird example (`autocert-hummingbird`) with certificates you bring, against real
/// HTTP/2 and HTTP/1.1 clients on each backend: curl (`--http2`, `--http1.1`, `--cert-status`
/// verifying the staple), nghttp, and `openssl s_client -alpn h2 -status`; and autocert-server,
/// which offers h2 by default.
@Suite("autocert-hummingbird and autocert-server over HTTP/2 and HTTP/1.1 (curl, nghttp, openssl s_client)", .serialized)
struct HummingbirdExampleTests {
    /// Runs `executable` serving alpha.test (stapled, from a `--staple` file) on a free port.
    static func withServer(
        _ executable: String, _ backend: BackendKind,
        _ body: (_ port: Int, _ pki: TLSTestPKI, _ server: TestProcess) async throws -> Void
    ) async throws {
        let pki = try await TLSTestPKI.create()
        defer { pki.directory.remove() }
        let alpha = try await pki.issue("alpha.test", staple: true)
        let port = try FreePort.allocate()
        let server = try TestProcess(try BuiltProduct.path(executable), [
            "--backend", backend.rawValue, "--host", "127.0.0.1", "--https-port", "\(port)",
            "--cert", alpha.chainPath, "--key", alpha.keyPath, "--staple", alpha.staplePath!,
        ])
        do {
            try await Poll.until("\(executable) to listen on \(port)", timeout: .seconds(20)) { FreePort.isAccepting(port) }
            try await body(port, pki, server)
        } catch {
            await server.stop()
            Issue.record("\(executable) printed: \(server.outputText)")
            throw error
        }
        await server.stop()
    }

    /// `curl` for https://alpha.test:`port`/ resolved to 127.0.0.1, verifying the chain against
    /// the test CA and, with `--cert-status`, the stapled OCSP response (RFC 6066 §8); prints
    /// the body then the HTTP version used.
    static func curl(_ port: Int, _ pki: TLSTestPKI, _ version: String) async throws -> String {
        try await ClientProcess.run("curl", [
            "-sS", version, "--cert-status", "--cacert", pki.caPath, "--resolve", "alpha.test:\(port):127.0.0.1",
            "-w", "version=%{http_version}\n", "https://alpha.test:\(port)/",
        ], stdin: "")
    }

    @Test("curl --http2 and --http1.1 with --cert-status, nghttp, openssl s_client -alpn h2", arguments: BackendKind.allCases)
    func hummingbird(_ backend: BackendKind) async throws {
        try await Self.withServer("autocert-hummingbird", backend) { port, pki, _ in
            let h2 = try await Self.curl(port, pki, "--http2")
            #expect(h2.contains("hello from autocert-hummingbird over \(backend.rawValue), HTTP/2") && h2.contains("version=2"), "\(h2)")
            let h1 = try await Self.curl(port, pki, "--http1.1")
            #expect(h1.contains("hello from autocert-hummingbird over \(backend.rawValue), HTTP/1.1") && h1.contains("version=1.1"), "\(h1)")

            let nghttp = try await ClientProcess.run("nghttp", ["-v", "https://127.0.0.1:\(port)/"], stdin: "")
            #expect(nghttp.contains(":status: 200") && nghttp.contains("over \(backend.rawValue), HTTP/2"), "\(nghttp)")
            #expect(nghttp.contains("The negotiated protocol: h2"), "\(nghttp)")

            let hello = OpenSSLTranscript(try await TLSClients.openssl(
                port: port, serverName: "alpha.test", caPath: pki.caPath, ["-alpn", "h2", "-status"]))
            #expect(hello.verified && hello.alpn == "h2" && hello.stapled && hello.stapleGood, "\(hello.text)")
        }
    }

    @Test("autocert-server offers h2,http/1.1 by default and serves both", arguments: BackendKind.allCases)
    func autocertServer(_ backend: BackendKind) async throws {
        try await Self.withServer("autocert-server", backend) { port, pki, _ in
            let h2 = try await Self.curl(port, pki, "--http2")
            #expect(h2.contains("hello from autocert-server over \(backend.rawValue)") && h2.contains("version=2"), "\(h2)")
            let h1 = try await Self.curl(port, pki, "--http1.1")
            #expect(h1.contains("hello from autocert-server over \(backend.rawValue)") && h1.contains("version=1.1"), "\(h1)")
            let nghttp = try await ClientProcess.run("nghttp", ["-v", "-m", "3", "https://127.0.0.1:\(port)/"], stdin: "")
            #expect(nghttp.components(separatedBy: ":status: 200").count == 4, "three requests on one connection: \(nghttp)")
        }
    }
}

extension HummingbirdExampleTests {
    @Test("--metrics-port: handshakes by backend and outcome in /metrics, /health 200 with a valid staple")
    func metricsAndHealth() async throws {
        let pki = try await TLSTestPKI.create()
        defer { pki.directory.remove() }
        let alpha = try await pki.issue("alpha.test", staple: true)
        let port = try FreePort.allocate(), metricsPort = try FreePort.allocate()
        let server = try TestProcess(try BuiltProduct.path("autocert-hummingbird"), [
            "--backend", "gnutls", "--https-port", "\(port)", "--metrics-port", "\(metricsPort)",
            "--cert", alpha.chainPath, "--key", alpha.keyPath, "--staple", alpha.staplePath!,
        ])
        defer { Task { await server.stop() } }
        try await Poll.until("autocert-hummingbird to listen", timeout: .seconds(20)) {
            FreePort.isAccepting(port) && FreePort.isAccepting(metricsPort)
        }
        _ = try await Self.curl(port, pki, "--http2")
        _ = try? await ClientProcess.run("curl", ["-sS", "https://127.0.0.1:\(port)/"], stdin: "")  // unverifiable: the client refuses
        // The refused handshake is counted when the server learns of it: from the client's
        // alert (handshakeFailed) or, when the client's close comes first, unexpectedClose.
        let failures = [#"outcome="handshakeFailed"} 1"#, #"outcome="unexpectedClose"} 1"#]
        let metrics = Locked("")
        do {
            try await Poll.until("both handshakes counted in /metrics", timeout: .seconds(20)) {  // the failure ends a moment after curl
                let text = try await ClientProcess.run("curl", ["-sS", "http://127.0.0.1:\(metricsPort)/metrics"], stdin: "")
                metrics.withLock { $0 = text }
                let gnutls = text.split(separator: "\n").filter { $0.hasPrefix(#"autocert_tls_handshakes_total{backend="gnutls","#) }
                return gnutls.contains { $0.hasSuffix(#"outcome="completed"} 1"#) }
                    && gnutls.filter { line in failures.contains { line.hasSuffix($0) } }.count == 1
            }
        } catch {
            Issue.record("the handshake counters last read: \(metrics.withLock { $0 }.split(separator: "\n").filter { $0.contains("handshakes_total") })")
            throw error
        }
        let health = try await ClientProcess.run("curl", ["-sS", "-w", "status=%{http_code}", "http://127.0.0.1:\(metricsPort)/health"], stdin: "")
        #expect(health.hasPrefix("ok\n1 served, 1 stapled") && health.contains("status=200"), "\(health)")
    }
}
