import ArgumentParser
@_spi(OCSPWire) import AutocertOCSP
import Foundation

extension OCSPCommand {
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify a saved DER response offline, at now or at a given time."
        )

        @Argument(help: "The DER OCSPResponse (e.g. a staple file).")
        var response: String

        @Option(help: "The certificate's PEM (first certificate used; the issuer may follow it).")
        var cert: String

        @Option(help: "The issuer's PEM, first certificate used (default: the second certificate of --cert). Its name and key anchor the check; no chain is built to a root.")
        var issuer: String?

        @Option(help: ArgumentHelp("Certificates (PEM) that may complete the signer's chain: a delegated responder the response does not carry (as openssl ocsp -verify_other). Each must pass every delegate rule; none is trusted.", valueName: "file"))
        var untrusted: String?

        @Option(help: "Verify as of this ISO 8601 time, e.g. 2024-05-01T12:00:00Z (default: now).")
        var at: String?

        @Option(help: "Allowed clock skew in seconds.")
        var clockSkew: Int = 300

        @Flag(help: "Print one JSON object.")
        var json = false

        func run() async throws {
            let reporter = Reporter(json: json, total: 1)
            let result: LookupResult
            do {
                let moment = try at.map { text throws -> Date in
                    guard let date = try? Date(text, strategy: .iso8601) else {
                        throw OCSPError(.invalidTimes, "--at '\(text)' is not an ISO 8601 time like 2024-05-01T12:00:00Z")
                    }
                    return date
                }
                let der = try readFile(response)
                let pem = try String(contentsOfFile: cert, encoding: .utf8)
                let issuerPEM = try issuer.map { try String(contentsOfFile: $0, encoding: .utf8) }
                let subject = try OCSPSubject(pem: pem, issuerPEM: issuerPEM)
                let untrustedDERs = try untrusted.map(readCertificates) ?? []
                let policy = OCSPVerificationPolicy(now: moment, clockSkew: .seconds(clockSkew))
                let answer = try OCSPVerifier(subject: subject, untrustedCertificateDERs: untrustedDERs).verify(der, policy: policy)
                result = LookupResult(path: response, result: .success(answer))
            } catch let error as OCSPError {
                result = LookupResult(path: response, result: .failure(error))
            } catch {
                result = LookupResult(path: response, result: .failure(OCSPError(.invalidCertificate, "\(error.localizedDescription)")))
            }
            await reporter.finished(result)
            await reporter.done()
            throw ExitCode(result.outcome.rawValue)
        }

        /// The DER of every certificate in the PEM file at `path`, which must hold one.
        private func readCertificates(_ path: String) throws -> [[UInt8]] {
            let ders = try OCSPSubject.certificateDERs(inPEM: String(contentsOfFile: path, encoding: .utf8))
            guard !ders.isEmpty else {
                throw OCSPError(.invalidCertificate, "--untrusted \(path) holds no CERTIFICATE block; give a PEM file of certificates")
            }
            return ders
        }

        private func readFile(_ path: String) throws -> [UInt8] {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw OCSPError(.malformedResponse, "cannot read \(path)")
            }
            return Array(data)
        }
    }
}
