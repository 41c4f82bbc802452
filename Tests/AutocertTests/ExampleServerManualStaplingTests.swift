import AutocertOCSP
import AutocertTestSupport
import Foundation
import Testing

/// `autocert-server --cert … --key … --storage DIR`: the certificates you bring are stapled
/// automatically, and a restart staples at once from DIR with the responder down.
@Suite("autocert-server stapling the certificates you bring", .serialized)
struct ExampleServerManualStaplingTests {
    @Test("staples a brought certificate from its OCSP URL, and from storage after a restart with the responder down",
          arguments: ["openssl", "gnutls"])
    func staplesBroughtCertificates(_ backend: String) async throws {
        let directory = try TemporaryDirectory(prefix: "manual-stapling")
        defer { directory.remove() }
        let pki = try await TestPKI.create(in: directory.path)
        let responderPort = try FreePort.allocate()
        let stapled = try await pki.issueLeaf("stapled.test", ocspURL: "http://127.0.0.1:\(responderPort)")
        let responder = try await OpenSSLOCSPResponder(pki: pki, certificates: [stapled], port: responderPort)
        let port = try FreePort.allocate()
        let arguments = ["--backend", backend, "--threads", "1", "--https-port", "\(port)",
                         "--cert", stapled.chainPath, "--key", stapled.keyPath, "--storage", directory.file("store")]
        var server = try TestProcess(try ExampleServerAutomaticTests.executable(), arguments)
        do {
            try await Poll.until("autocert-server to listen", timeout: .seconds(20)) { FreePort.isAccepting(port) }
            try await Poll.until("the staple to be fetched", timeout: .seconds(20)) { server.outputText.contains("stapling: fetched") }
            let staple = directory.file("staple.der")
            let first = try await Self.receivedStaple(port: port, name: "stapled.test", ca: pki.ca.certificatePath, saveTo: staple)
            #expect(first.contains("Handshake was completed"), "\(first)\n--- server:\n\(server.outputText)")
            let subject = try OCSPSubject(pem: String(contentsOfFile: stapled.chainPath, encoding: .utf8))
            let saved = try #require(FileManager.default.contents(atPath: staple))
            #expect(try OCSPVerifier(subject: subject).verify(Array(saved)).status == .good)

            await server.stop()
            await responder.stop()
            server = try TestProcess(try ExampleServerAutomaticTests.executable(), arguments)
            try await Poll.until("autocert-server to listen again", timeout: .seconds(20)) { FreePort.isAccepting(port) }
            let second = try await Self.receivedStaple(port: port, name: "stapled.test", ca: pki.ca.certificatePath, saveTo: staple)
            #expect(second.contains("Handshake was completed"), "\(second)\n--- server:\n\(server.outputText)")
            #expect(try OCSPVerifier(subject: subject).verify(Array(#require(FileManager.default.contents(atPath: staple)))).status == .good)
        } catch {
            await server.stop()
            await responder.stop()
            throw error
        }
        await server.stop()
    }

    /// A `gnutls-cli --ocsp` handshake (certificate verified against `ca`) that saves the
    /// staple it received; its transcript.
    static func receivedStaple(port: Int, name: String, ca: String, saveTo path: String) async throws -> String {
        try? FileManager.default.removeItem(atPath: path)
        let (_, output) = try await TestProcess.run("gnutls-cli", [
            "--port", "\(port)", "--sni-hostname", name, "--verify-hostname", name, "--x509cafile", ca,
            "--ocsp", "--save-ocsp", path, "127.0.0.1",
        ], stdin: "", timeout: .seconds(30))
        return output
    }
}
