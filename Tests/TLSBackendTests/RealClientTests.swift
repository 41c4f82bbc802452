import AutocertTestSupport
import AutocertTLS
import Testing

/// Each backend against real clients (`openssl s_client`, `gnutls-cli`): so each backend is
/// also checked against the other library's client.
@Suite("TLS backends against real clients (openssl s_client, gnutls-cli)", .serialized)
struct RealClientTests {
    /// Three names (two stapled), a challenge certificate for one, on a server for `backend`.
    static func withServer(
        _ backend: BackendKind, alpn: [String] = ["h2", "http/1.1"],
        _ body: (TestTLSServer, TLSTestPKI) async throws -> Void
    ) async throws {
        let pki = try await TLSTestPKI.create()
        defer { pki.directory.remove() }
        let alpha = try await pki.issue("alpha.test", staple: true)
        let beta = try await pki.issue("beta.test", staple: true)
        let gamma = try await pki.issue("gamma.test", staple: false)
        let challenge = try await pki.challenge("beta.test")
        var selector = StaticCertificateSelector()
        for leaf in [alpha, beta, gamma] { selector.add(leaf.key, for: [leaf.name, "www." + leaf.name]) }
        selector.setChallenge(challenge.key, for: "beta.test")
        let capture = LogCapture()
        let server = try await TestTLSServer.start(
            try backend.make(TLSServerConfiguration(applicationProtocols: alpn)), selector: selector, logger: capture.logger())
        do {
            try await body(server, pki)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    @Test("the certificate for each SNI name, verified by openssl s_client", arguments: BackendKind.allCases)
    func certificatePerName(_ backend: BackendKind) async throws {
        try await Self.withServer(backend) { server, pki in
            for name in ["alpha.test", "www.beta.test", "gamma.test"] {
                let hello = OpenSSLTranscript(try await TLSClients.openssl(
                    port: server.port, serverName: name, caPath: pki.caPath, ["-verify_hostname", name]))
                #expect(hello.verified, "\(name): \(hello.text)")
                #expect(hello.subjectCN == name.replacingOccurrences(of: "www.", with: ""))
            }
        }
    }

    @Test("a staple when asked for, none when not, over TLS 1.2 and 1.3", arguments: BackendKind.allCases)
    func stapleOnlyWhenAsked(_ backend: BackendKind) async throws {
        try await Self.withServer(backend) { server, pki in
            for version in ["-tls1_2", "-tls1_3"] {
                let asked = OpenSSLTranscript(try await TLSClients.openssl(
                    port: server.port, serverName: "alpha.test", caPath: pki.caPath, ["-status", version]))
                #expect(asked.verified && asked.stapled && asked.stapleGood, "\(version): \(asked.text)")
                #expect(asked.version == (version == "-tls1_2" ? "TLSv1.2" : "TLSv1.3"))
                let unasked = OpenSSLTranscript(try await TLSClients.openssl(
                    port: server.port, serverName: "alpha.test", caPath: pki.caPath, [version]))
                #expect(unasked.verified && !unasked.stapled, "\(version): \(unasked.text)")
                let noStaple = OpenSSLTranscript(try await TLSClients.openssl(
                    port: server.port, serverName: "gamma.test", caPath: pki.caPath, ["-status", version]))
                #expect(noStaple.verified && !noStaple.stapled && noStaple.text.contains("OCSP response: no response sent"))
            }
        }
    }

    @Test("gnutls-cli --ocsp verifies the staple; TLS 1.2 and 1.3; ALPN", arguments: BackendKind.allCases)
    func gnutlsClient(_ backend: BackendKind) async throws {
        try await Self.withServer(backend) { server, pki in
            for (priority, description) in [("NORMAL:-VERS-ALL:+VERS-TLS1.3", "(TLS1.3"), ("NORMAL:-VERS-ALL:+VERS-TLS1.2", "(TLS1.2")] {
                let output = try await TLSClients.gnutls(
                    port: server.port, serverName: "beta.test", caPath: pki.caPath,
                    ["--ocsp", "--priority", priority, "--alpn", "http/1.1", "--alpn", "h2"])
                #expect(output.contains("Status: The certificate is trusted."), "\(output)")
                let options = output.split(separator: "\n").first { $0.hasPrefix("- Options:") } ?? ""
                #expect(options.contains("OCSP status request"), "staple not verified: \(output)")
                #expect(!output.contains("Connecting to OCSP server"), "fell back to the responder: \(output)")
                #expect(output.contains("- Description: \(description)"))
                #expect(output.contains("Application protocol: h2"), "\(output)")
            }
            let unstapled = try await TLSClients.gnutls(port: server.port, serverName: "gamma.test", caPath: pki.caPath, [])
            #expect(unstapled.contains("Status: The certificate is trusted.") && !unstapled.contains("OCSP status request"))
        }
    }

    @Test("ALPN: the server's preference among what the client offers", arguments: BackendKind.allCases)
    func alpn(_ backend: BackendKind) async throws {
        try await Self.withServer(backend) { server, pki in
            for (offer, expected) in [("h2,http/1.1", "h2"), ("http/1.1", "http/1.1"), ("spdy/3", nil)] as [(String, String?)] {
                let hello = OpenSSLTranscript(try await TLSClients.openssl(
                    port: server.port, serverName: "alpha.test", caPath: pki.caPath, ["-alpn", offer]))
                #expect(hello.verified)
                #expect(hello.alpn == expected, "\(offer): \(hello.text)")
            }
        }
    }

    @Test("a client offering only acme-tls/1 gets the challenge certificate (RFC 8737)", arguments: BackendKind.allCases)
    func acmeChallenge(_ backend: BackendKind) async throws {
        try await Self.withServer(backend) { server, _ in
            let output = try await ClientProcess.run("openssl", [
                "s_client", "-connect", "127.0.0.1:\(server.port)", "-servername", "beta.test", "-alpn", "acme-tls/1",
            ], stdin: "\n")
            let hello = OpenSSLTranscript(output)
            #expect(hello.alpn == "acme-tls/1", "\(output)")
            #expect(hello.subjectCN == "acme challenge beta.test")
            let normal = OpenSSLTranscript(try await ClientProcess.run("openssl", [
                "s_client", "-connect", "127.0.0.1:\(server.port)", "-servername", "beta.test", "-alpn", "http/1.1",
            ], stdin: "\n"))
            #expect(normal.subjectCN == "beta.test")
        }
    }

    @Test("HTTP/1.1 over TLS reaches the application", arguments: BackendKind.allCases)
    func httpOverTLS(_ backend: BackendKind) async throws {
        try await Self.withServer(backend, alpn: ["http/1.1"]) { server, pki in
            let answer = try await TLSClients.get(port: server.port, serverName: "alpha.test", caPath: pki.caPath)
            #expect(answer.contains("hello from autocert-server over \(backend.rawValue)"), "\(answer)")
        }
    }
}
