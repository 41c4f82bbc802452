import AutocertTestSupport
import Foundation
import Testing

/// The `autocert-server` executable, run as a user would run it.
@Suite("autocert-server run as a user would: --help, --cert and --staple", .serialized)
struct ExampleServerTests {
    /// The built executable, beside the test bundle in the build folder.
    static func executable() throws -> String {
        try BuiltProduct.path("autocert-server")
    }

    @Test("--help documents the interface")
    func help() async throws {
        let output = try await ClientProcess.run(try Self.executable(), ["--help"], stdin: "")
        for option in ["--backend", "--host", "--https-port", "--cert", "--key", "--staple", "--storage", "--must-staple",
                       "--idle-timeout", "--header-timeout", "--max-connections"] {
            #expect(output.contains(option), "\(option) missing from --help")
        }
    }

    @Test("serves each --cert by SNI with its --staple", arguments: BackendKind.allCases)
    func serves(_ backend: BackendKind) async throws {
        let pki = try await TLSTestPKI.create()
        defer { pki.directory.remove() }
        let alpha = try await pki.issue("alpha.test", staple: true)
        let beta = try await pki.issue("beta.test", staple: false)
        let port = try FreePort.allocate()
        let server = try TestProcess(try Self.executable(), [
            "--backend", backend.rawValue, "--host", "127.0.0.1", "--https-port", "\(port)", "--threads", "1",
            "--cert", alpha.chainPath, "--key", alpha.keyPath, "--staple", alpha.staplePath!,
            "--cert", beta.certificatePath, "--key", beta.keyPath,
        ])
        do {
            try await Poll.until("autocert-server to listen on \(port)", timeout: .seconds(20)) { FreePort.isAccepting(port) }
            let a = OpenSSLTranscript(try await TLSClients.openssl(port: port, serverName: "www.alpha.test", caPath: pki.caPath, ["-status"]))
            #expect(a.verified && a.subjectCN == "alpha.test" && a.stapled && a.stapleGood, "\(a.text)")
            let b = OpenSSLTranscript(try await TLSClients.openssl(port: port, serverName: "beta.test", caPath: pki.caPath, ["-status"]))
            #expect(b.verified && b.subjectCN == "beta.test" && !b.stapled, "\(b.text)")
            let answer = try await TLSClients.get(port: port, serverName: "alpha.test", caPath: pki.caPath)
            #expect(answer.contains("hello from autocert-server over \(backend.rawValue)"), "\(answer)")
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
        #expect(server.outputText.contains("listening"), "\(server.outputText)")
    }

    @Test("a --staple that does not verify for its certificate is refused before serving")
    func unverifiableStapleIsRefused() async throws {
        let pki = try await TLSTestPKI.create()
        defer { pki.directory.remove() }
        let alpha = try await pki.issue("alpha.test", staple: true)
        let beta = try await pki.issue("beta.test", staple: true)
        for (chain, staple, expected) in [
            (beta.chainPath, alpha.staplePath!, "does not verify"),  // another certificate's staple
            (alpha.certificatePath, alpha.staplePath!, "holds no issuer"),  // no issuer to verify with
        ] {
            let (status, output) = try await TestProcess.run(try Self.executable(), [
                "--https-port", "\(try FreePort.allocate())", "--cert", chain, "--key", chain == beta.chainPath ? beta.keyPath : alpha.keyPath,
                "--staple", staple,
            ])
            #expect(status != 0 && output.contains(expected) && !output.contains("listening"), "\(output)")
        }
    }
}
