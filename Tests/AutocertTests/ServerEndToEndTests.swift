import AutocertOCSP
import AutocertTestSupport
import Foundation
import Testing

/// `autocert-server` as a user runs it, against Pebble and an `openssl ocsp` responder kept
/// in step with Pebble (the setup of the README demo), on both backends.
@Suite("autocert-server end to end: Pebble, OCSP responder, both backends", .serialized)
struct ServerEndToEndTests {
    /// Pebble with `ocspResponderURL` set, and the responder on that URL.
    struct CA {
        let pebble: PebbleHarness
        let responder: PebbleOCSPResponder
        let work: TemporaryDirectory

        static func start() async throws -> CA {
            let work = try TemporaryDirectory(prefix: "e2e-ca")
            let responder = try PebbleOCSPResponder(directory: work.path)
            var options = PebbleHarness.Options()
            options.ocspResponderURL = responder.url
            let pebble: PebbleHarness
            do {
                pebble = try await PebbleHarness(options)
            } catch {
                await responder.stop()
                work.remove()
                throw error
            }
            do {
                try await responder.start(managementURL: pebble.managementURL, managementRootPEMFile: pebble.httpsRootPEMFile)
                return CA(pebble: pebble, responder: responder, work: work)
            } catch {
                await responder.stop()
                await pebble.stop()
                work.remove()
                throw error
            }
        }

        func stop() async {
            await responder.stop()
            await pebble.stop()
            work.remove()
        }

        /// Requests Pebble has logged so far (`… -> calling handler()` per request).
        var pebbleRequests: Int { pebble.pebbleOutput.components(separatedBy: "calling handler").count - 1 }
    }

    static func serverArguments(_ backend: String, ca: CA, storage: String, domains: [String], extra: [String] = []) -> [String] {
        ["--backend", backend, "--threads", "2", "--https-port", "\(ca.pebble.tlsPort)", "--http-port", "\(ca.pebble.httpPort)",
         "--directory", ca.pebble.directoryURL, "--ca-roots", ca.pebble.httpsRootPEMFile, "--accept-tos",
         "--storage", storage] + domains.flatMap { ["--domain", $0] } + extra
    }

    /// `openssl s_client -status` for `name`; its transcript.
    static func handshake(_ port: Int, _ name: String) async throws -> String {
        try await TestProcess.run("openssl", ["s_client", "-connect", "127.0.0.1:\(port)", "-servername", name, "-status"],
                                  stdin: "", timeout: .seconds(90)).output
    }

    @Test("first handshake issues and staples; 50 concurrent first handshakes make one order; an unknown name reaches no CA; a restart with the CA and responder down serves certificate and staple from storage; --no-staple-ocsp serves no staple",
          arguments: ["openssl", "gnutls"])
    func endToEnd(_ backend: String) async throws {
        let ca = try await CA.start()
        let storage = try TemporaryDirectory(prefix: "e2e-storage")
        defer { storage.remove() }
        let port = ca.pebble.tlsPort
        let store = storage.file("store")
        let arguments = Self.serverArguments(backend, ca: ca, storage: store, domains: ["first.example.com", "crowd.example.com"])
        var server = try TestProcess(try ExampleServerAutomaticTests.executable(), arguments)
        do {
            try await Poll.until("autocert-server to listen", timeout: .seconds(20)) { FreePort.isAccepting(port) }

            // A new name: issued, then stapled with a good response from the responder.
            let before = ca.pebbleRequests
            let first = try await Self.handshake(port, "first.example.com")
            #expect(first.contains("Cert Status: good"), "\(first)\n--- server:\n\(server.outputText)")
            #expect(ca.pebbleRequests > before, "Pebble's request log is what the next check counts")

            // 50 handshakes at once for another new name: one order, one certificate for all.
            let transcripts = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<50 { group.addTask { try await Self.handshake(port, "crowd.example.com") } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let orders = server.outputText.components(separatedBy: "\n").filter { $0.contains("ACME order created") && $0.contains("crowd.example.com") }
            #expect(orders.count == 1, "\(orders)")
            let served = Set(transcripts.compactMap { $0.components(separatedBy: "\n").first { $0.hasPrefix("subject=") } })
            #expect(served == ["subject=CN = crowd.example.com"],
                    "\(served)\n--- a transcript:\n\(transcripts.first ?? "")\n--- server:\n\(server.outputText.suffix(4000))")
            #expect(transcripts.allSatisfy { $0.contains("Cert Status: good") }, "every waiting handshake gets the stapled certificate")

            // A name outside the host policy: the handshake fails and Pebble sees nothing.
            let quiet = ca.pebbleRequests
            let refused = try await Self.handshake(port, "not-allowed.example.com")
            #expect(!refused.contains("Cert Status"), "\(refused)")
            #expect(ca.pebbleRequests == quiet, "a refused name must not reach the CA")
            #expect(!server.outputText.contains("not-allowed.example.com\"]"), "no order for the refused name")

            // Restart with the CA and the responder gone: certificate and staple from storage.
            await server.stop()
            await ca.stop()
            server = try TestProcess(try ExampleServerAutomaticTests.executable(), arguments)
            try await Poll.until("autocert-server to listen again", timeout: .seconds(20)) { FreePort.isAccepting(port) }
            let restarted = try await Self.handshake(port, "first.example.com")
            #expect(restarted.contains("Cert Status: good"), "\(restarted)\n--- server:\n\(server.outputText)")
            await server.stop()

            // --no-staple-ocsp: the certificate is served, no staple is.
            server = try TestProcess(try ExampleServerAutomaticTests.executable(), arguments + ["--no-staple-ocsp"])
            try await Poll.until("autocert-server to listen without stapling", timeout: .seconds(20)) { FreePort.isAccepting(port) }
            let unstapled = try await Self.handshake(port, "first.example.com")
            #expect(unstapled.contains("OCSP response: no response sent"), "\(unstapled)")
            #expect(unstapled.contains("CN = first.example.com"), "\(unstapled)")
        } catch {
            print("server output:\n\(server.outputText)\npebble output (tail):\n\(ca.pebble.pebbleOutput.suffix(2000))")
            await server.stop()
            await ca.stop()
            throw error
        }
        await server.stop()
        await ca.stop()
    }
}
