import ArgumentParser
import AutocertCurl
import AutocertOCSP
import Foundation

extension OCSPCommand {
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Ask the responder for the status of certificates and verify the answer.",
            discussion: """
                CERT.pem holds the certificate first; its issuer is the next certificate in \
                the same file unless --issuer is given. The responder is the certificate's \
                AIA OCSP URL unless --url is given.
                """
        )

        @Argument(help: "PEM files, each with a certificate (and, unless --issuer, its issuer after it).")
        var certificates: [String] = []

        @Option(help: "A file listing PEM paths, one per line (checked concurrently).")
        var batch: String?

        @Option(help: "The issuer's PEM (default: the second certificate of each CERT.pem).")
        var issuer: String?

        @Option(help: "The responder URL (default: the certificate's AIA OCSP URL).")
        var url: String?

        @Option(help: "Write the verified DER response here (e.g. for nginx's ssl_stapling_file). One certificate only.")
        var out: String?

        @Flag(help: "Print one JSON object per certificate.")
        var json = false

        @Option(help: "Seconds the whole exchange may take.")
        var timeout: Double = 10

        @Option(help: "How many lookups run at once with several certificates.")
        var concurrency: Int = 8

        @Option(name: .customLong("hash"), help: "CertID hash: sha1 (RFC 5019 default) or sha256.")
        var hashAlgorithm: String = "sha1"

        func validate() throws {
            guard !(certificates.isEmpty && batch == nil) else {
                throw ValidationError("give at least one CERT.pem, or --batch FILE")
            }
            guard timeout > 0, timeout <= 600 else { throw ValidationError("--timeout must be between 0 and 600 seconds") }
            guard concurrency >= 1, concurrency <= 256 else { throw ValidationError("--concurrency must be between 1 and 256") }
            guard OCSPHashAlgorithm(rawValue: hashAlgorithm) != nil else {
                throw ValidationError("--hash must be one of \(OCSPHashAlgorithm.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }

        func run() async throws {
            var paths = certificates
            if let batch {
                let listing = try String(contentsOfFile: batch, encoding: .utf8)
                paths += listing.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.hasPrefix("#") }
            }
            if out != nil, paths.count != 1 {
                throw ValidationError("--out writes one response: give exactly one certificate")
            }
            let client = OCSPClient(transport: .curl, configuration: OCSPClient.Configuration(
                timeout: .milliseconds(Int64(timeout * 1000)),
                hashAlgorithm: OCSPHashAlgorithm(rawValue: hashAlgorithm) ?? .sha1
            ))
            let issuerPEM = try issuer.map { try String(contentsOfFile: $0, encoding: .utf8) }
            let reporter = Reporter(json: json, total: paths.count)
            let results = await BoundedConcurrency.map(paths, limit: concurrency) { path in
                let result = await lookUp(path: path, issuerPEM: issuerPEM, client: client)
                await reporter.finished(result)
                return result
            }
            await reporter.done()
            if let out, case .success(let answer) = results.first?.result {
                try writeStaple(answer.derBytes, to: out)
            }
            let worst = results.map(\.outcome).max { $0.severity < $1.severity } ?? .noVerifiedAnswer
            throw ExitCode(worst.rawValue)
        }

        private func lookUp(path: String, issuerPEM: String?, client: OCSPClient) async -> LookupResult {
            do {
                let pem = try String(contentsOfFile: path, encoding: .utf8)
                let subject = try OCSPSubject(pem: pem, issuerPEM: issuerPEM)
                let answer = try await client.check(subject, responderURL: url)
                return LookupResult(path: path, result: .success(answer))
            } catch let error as OCSPError {
                return LookupResult(path: path, result: .failure(error))
            } catch {
                return LookupResult(path: path, result: .failure(OCSPError(.invalidCertificate, "cannot read \(path): \(error.localizedDescription)")))
            }
        }
    }
}

/// Writes a staple file with 0644 permissions (a staple is public) via a temporary file and rename.
func writeStaple(_ bytes: [UInt8], to path: String) throws {
    let temporary = path + ".tmp-\(getpid())"
    try Data(bytes).write(to: URL(fileURLWithPath: temporary))
    if rename(temporary, path) != 0 {
        try? FileManager.default.removeItem(atPath: temporary)
        throw ValidationError("cannot write \(path): \(String(cString: strerror(errno)))")
    }
}
