import AutocertTestSupport
import Foundation
import Testing

/// `autocert-hummingbird` in automatic mode against Pebble and the `openssl ocsp` responder
/// kept in step with it, on both backends: the first handshake obtains a certificate, which
/// then goes out with a good staple to curl (`--http2`, `--http1.1`, `--cert-status`) and
/// `openssl s_client -alpn h2 -status`; the plain-HTTP port redirects to HTTPS. (nghttp sends
/// the URL's host as SNI and has no `--resolve`, so it is run against certificates you bring:
/// `HummingbirdExampleTests`.)
@Suite("autocert-hummingbird automatic mode: Pebble, OCSP responder, HTTP/2 and HTTP/1.1", .serialized)
struct HummingbirdAutomaticTests {
    @Test("obtains, staples, serves h2 and http/1.1, redirects plain HTTP", arguments: ["openssl", "gnutls"])
    func obtainsStaplesServes(_ backend: String) async throws {
        let ca = try await ServerEndToEndTests.CA.start()
        let storage = try TemporaryDirectory(prefix: "hummingbird-automatic")
        defer { storage.remove() }
        let name = "hummingbird-e2e.example.com", port = ca.pebble.tlsPort
        let server = try TestProcess(try BuiltProduct.path("autocert-hummingbird"), [
            "--backend", backend, "--https-port", "\(port)", "--http-port", "\(ca.pebble.httpPort)", "--domain", name,
            "--directory", ca.pebble.directoryURL, "--ca-roots", ca.pebble.httpsRootPEMFile, "--accept-tos",
            "--storage", storage.file("store"),
        ])
        do {
            try await Poll.until("autocert-hummingbird to listen", timeout: .seconds(20)) {
                FreePort.isAccepting(port) && FreePort.isAccepting(ca.pebble.httpPort)
            }
            let first = try await ServerEndToEndTests.handshake(port, name)
            #expect(first.contains("Pebble Intermediate") && first.contains("Cert Status: good"), "\(first)")

            let root = storage.file("pebble-root.pem")
            _ = try await TestProcess.run("curl", ["-sS", "--cacert", ca.pebble.httpsRootPEMFile, "-o", root, ca.pebble.managementURL + "/roots/0"],
                                          stdin: "", timeout: .seconds(20))
            for (version, expected) in [("--http2", "HTTP/2"), ("--http1.1", "HTTP/1.1")] {
                let (status, output) = try await TestProcess.run("curl", [
                    "-sS", version, "--cert-status", "--cacert", root, "--resolve", "\(name):\(port):127.0.0.1", "https://\(name):\(port)/",
                ], stdin: "", timeout: .seconds(30))
                #expect(status == 0 && output.contains("hello from autocert-hummingbird over \(backend), \(expected)"), "\(version): \(output)")
            }
            let (_, alpn) = try await TestProcess.run("openssl", [
                "s_client", "-connect", "127.0.0.1:\(port)", "-servername", name, "-alpn", "h2", "-status",
            ], stdin: "", timeout: .seconds(30))
            #expect(alpn.contains("ALPN protocol: h2") && alpn.contains("Cert Status: good"), "\(alpn)")

            let (_, redirect) = try await TestProcess.run("curl", [
                "-sS", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", "--resolve", "\(name):\(ca.pebble.httpPort):127.0.0.1",
                "http://\(name):\(ca.pebble.httpPort)/path?q=1",
            ], stdin: "", timeout: .seconds(20))
            #expect(redirect == "302 https://\(name):\(port)/path?q=1", "\(redirect)")
        } catch {
            print("server output:\n\(server.outputText)")
            await server.stop()
            await ca.stop()
            throw error
        }
        await server.stop()
        await ca.stop()
    }
}
