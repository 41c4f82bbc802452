@testable import Autocert
import AutocertACME
import AutocertCurl
import AutocertHTTP
import AutocertTestSupport
import Foundation
import Testing
import X509

/// IP-address certificates (RFC 8738) end to end: Pebble validates 127.0.0.2 over tls-alpn-01
/// (SNI: the reverse-DNS name, RFC 8738 §6) or http-01, issues a certificate whose SAN is the
/// address, and `openssl s_client` gets it connecting to 127.0.0.2 with no server name.
@Suite("Manager against Pebble: IP-address certificates (RFC 8738)", .serialized)
struct IPAddressCertificateTests {
    @Test("an IP address is validated and issued, then served by the local address to a client that sends no server name",
          arguments: [ACMEChallenge.tlsALPN01, ACMEChallenge.http01])
    func issuedAndServedByAddress(_ challengeType: String) async throws {
        try await FrontedPebble.with(names: ["127.0.0.2"], host: "127.0.0.2", challengeType: challengeType) { fixture in
            let key = try await fixture.manager.certifiedKey(forName: "127.0.0.2")
            let leaf = try Certificate(derEncoded: key.certificateChain[0])
            #expect(CertificateRecord.identifiers(of: leaf) == ["127.0.0.2"])
            #expect(fixture.front.orders.map(\.identifiers) == [["127.0.0.2"]])

            let root = fixture.pebble.directory.file("issuing-root.pem")
            let transport = CurlTransport(configuration: .init(caBundlePath: fixture.pebble.httpsRootPEMFile))
            let pem = try await transport.send(HTTPRequest(method: .get, url: fixture.pebble.issuingRootURL()), limits: HTTPLimits()).body
            try Data(pem).write(to: URL(fileURLWithPath: root))
            let (_, transcript) = try await TestProcess.run("openssl", [
                "s_client", "-connect", "127.0.0.2:\(fixture.pebble.tlsPort)", "-noservername", "-CAfile", root,
                "-verify_ip", "127.0.0.2", "-verify_return_error",
            ], stdin: "")
            #expect(transcript.contains("Verify return code: 0 (ok)"), "\(transcript)")
            #expect(!transcript.contains("TLS server extension \"server name\""), "no SNI was sent")
        }
    }

    @Test("a handshake with no server name on an address that is not allowed gets no certificate and reaches no CA")
    func unknownAddressRefused() async throws {
        try await FrontedPebble.with(names: ["127.0.0.3"], host: "127.0.0.2") { fixture in
            let (_, transcript) = try await TestProcess.run("openssl", [
                "s_client", "-connect", "127.0.0.2:\(fixture.pebble.tlsPort)", "-noservername",
            ], stdin: "")
            #expect(!transcript.contains("BEGIN CERTIFICATE") && !transcript.contains("subject="), "\(transcript)")
            #expect(fixture.front.orders.isEmpty)
        }
    }
}
