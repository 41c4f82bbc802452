import AutocertTestSupport

/// The real TLS clients the tests drive, each run bounded by a timeout.
enum TLSClients {
    /// `openssl s_client` against 127.0.0.1:`port`; stdin is one empty line, so it exits after
    /// the handshake. Extra arguments add `-status`, `-alpn`, `-tls1_2` and so on.
    static func openssl(port: Int, serverName: String, caPath: String, _ extra: [String]) async throws -> String {
        let arguments = ["s_client", "-connect", "127.0.0.1:\(port)", "-servername", serverName,
                         "-CAfile", caPath, "-verify_return_error", "-tlsextdebug"] + extra
        return try await ClientProcess.run("openssl", arguments, stdin: "\n")
    }

    /// `gnutls-cli` against 127.0.0.1:`port`, verifying the chain and name; it sends
    /// status_request by default and, with `--ocsp`, requires a valid staple or a responder.
    static func gnutls(port: Int, serverName: String, caPath: String, _ extra: [String]) async throws -> String {
        let arguments = ["--port", "\(port)", "--sni-hostname", serverName, "--verify-hostname", serverName,
                         "--x509cafile", caPath] + extra + ["127.0.0.1"]
        return try await ClientProcess.run("gnutls-cli", arguments, stdin: "")
    }

    /// An HTTP/1.1 GET over `openssl s_client`, returning what the server answered.
    static func get(port: Int, serverName: String, caPath: String) async throws -> String {
        let request = "GET / HTTP/1.1\r\nHost: \(serverName)\r\nConnection: close\r\n\r\n"
        let arguments = ["s_client", "-connect", "127.0.0.1:\(port)", "-servername", serverName,
                         "-CAfile", caPath, "-verify_return_error", "-quiet", "-ign_eof"]
        return try await ClientProcess.run("openssl", arguments, stdin: request)
    }
}

/// What an `openssl s_client` transcript says.
struct OpenSSLTranscript {
    let text: String
    init(_ text: String) { self.text = text }

    var verified: Bool { text.contains("Verify return code: 0 (ok)") }
    var subjectCN: String? {
        text.split(separator: "\n").first { $0.hasPrefix("subject=") }.flatMap { $0.split(separator: "=").last }
            .map { $0.trimmingCharacters(in: .whitespaces) }
    }
    /// The server sent status_request back: a staple (RFC 6066 §8; in TLS 1.3 on the Certificate entry).
    var stapled: Bool { text.contains("TLS server extension \"status request\"") }
    var stapleGood: Bool { text.contains("OCSP Response Status: successful") && text.contains("Cert Status: good") }
    var alpn: String? {
        text.split(separator: "\n").first { $0.hasPrefix("ALPN protocol: ") }.map { String($0.dropFirst("ALPN protocol: ".count)) }
    }
    var version: String? {
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("New, ") }) else { return nil }
        return line.split(separator: ",").dropFirst().first.map { $0.trimmingCharacters(in: .whitespaces) }
    }
}
