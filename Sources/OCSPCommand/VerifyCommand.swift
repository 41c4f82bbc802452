import ArgumentParser
import AutocertOCSP
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

        @Option(help: "The issuer's PEM (default: the second certificate of --cert).")
        var issuer: String?

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
                let policy = OCSPVerificationPolicy(now: moment, clockSkew: .seconds(clockSkew))
                let answer = try OCSPVerifier(subject: subject).verify(der, policy: policy)
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

        private func readFile(_ path: String) throws -> [UInt8] {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw OCSPError(.malformedResponse, "cannot read \(path)")
            }
            return Array(data)
        }
    }
}
