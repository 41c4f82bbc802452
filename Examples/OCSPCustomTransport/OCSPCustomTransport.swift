import AutocertOCSP
import Foundation

/// `ocsp-custom-transport CHAIN.pem [RESPONDER-URL]`: the OCSP library on a transport of the
/// program's own (``PlainHTTPTransport``), linking no libcurl.
///
/// CHAIN.pem holds the certificate, then its issuer. The responder is the certificate's AIA
/// OCSP URL (RFC 5280 §4.2.2.1) unless one is given. Prints the verified status and exits
/// like the `ocsp` command: 0 good, 1 revoked, 2 unknown, 3 no verified answer (the reason
/// on stderr), 64 for a wrong command line.
@main
struct OCSPCustomTransport {
    static func main() async {
        let arguments = CommandLine.arguments.dropFirst()
        guard (1...2).contains(arguments.count), let chainPath = arguments.first else {
            fail("usage: ocsp-custom-transport CHAIN.pem [RESPONDER-URL]", status: 64)
        }
        let responderURL = arguments.dropFirst().first

        let client = OCSPClient(transport: PlainHTTPTransport())
        do {
            let pem = try String(contentsOfFile: chainPath, encoding: .utf8)
            let answer = try await client.check(OCSPSubject(pem: pem), responderURL: responderURL)
            print(describe(answer))
            switch answer.status {
            case .good: exit(0)
            case .revoked: exit(1)
            case .unknown: exit(2)
            }
        } catch let error as OCSPError {
            fail("no verified answer: \(error.code): \(error.reason)", status: 3)
        } catch {
            fail("cannot read \(chainPath): \(error.localizedDescription)", status: 3)
        }
    }

    /// One line: the status first, then the times and the responder that answered.
    static func describe(_ answer: OCSPAnswer) -> String {
        var parts = [answer.status.description]
        if let reason = answer.revocationReason { parts.append("reason \(reason)") }
        parts.append("thisUpdate \(answer.thisUpdate.formatted(.iso8601))")
        parts.append("nextUpdate \(answer.nextUpdate?.formatted(.iso8601) ?? "none")")
        parts.append("responder \(answer.responderURL ?? "none")")
        return parts.joined(separator: ", ")
    }

    static func fail(_ message: String, status: Int32) -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        exit(status)
    }
}
