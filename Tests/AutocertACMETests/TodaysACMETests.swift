import Crypto
import Foundation
import SwiftASN1
import Testing
import X509
@testable import AutocertACME

/// The pieces of today's ACME that need no CA: ARI certificate identifiers (RFC 9773 §4.1),
/// IP identifiers (RFC 8738), and how they reach a CSR and a tls-alpn-01 certificate.
@Suite("ACME today: ARI identifiers, IP identifiers, profiles in orders")
struct TodaysACMETests {
    /// A certificate with `serial` and an Authority Key Identifier of `keyIdentifier`.
    static func certificate(serial: [UInt8], keyIdentifier: [UInt8]?) throws -> [UInt8] {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName { CommonName("ari.test") }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(bytes: serial), publicKey: .init(key.publicKey),
            notValidBefore: Date(), notValidAfter: Date().addingTimeInterval(86_400), issuer: name, subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                if let keyIdentifier { AuthorityKeyIdentifier(keyIdentifier: keyIdentifier[...]) }
            },
            issuerPrivateKey: .init(key))
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return serializer.serializedBytes
    }

    @Test("the ARI certificate identifier of RFC 9773 §4.1's example: AKI key identifier, '.', the serial's DER content")
    func certificateIdentifierOfTheRFCExample() throws {
        // RFC 9773 §4.1: keyIdentifier 69:88:5B:6B:87:46:40:41:E1:B3:7B:84:7B:A0:AE:2C:DE:01:C8:D4,
        // serial 00:87:65:43:21 (the leading zero is part of the DER content).
        let der = try Self.certificate(
            serial: [0x00, 0x87, 0x65, 0x43, 0x21],
            keyIdentifier: [0x69, 0x88, 0x5B, 0x6B, 0x87, 0x46, 0x40, 0x41, 0xE1, 0xB3, 0x7B, 0x84, 0x7B, 0xA0, 0xAE, 0x2C, 0xDE, 0x01, 0xC8, 0xD4])
        let identifier = try ACMECertificateIdentifier.make(certificateDER: der)
        #expect(identifier == "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE", "\(identifier)")
    }

    @Test("a certificate without an Authority Key Identifier cannot be named for ARI, and says so")
    func noAuthorityKeyIdentifier() throws {
        let der = try Self.certificate(serial: [0x01], keyIdentifier: nil)
        let error = #expect(throws: ACMEError.self) { try ACMECertificateIdentifier.make(certificateDER: der) }
        #expect(error?.code == .invalidInput && error?.reason.contains("Authority Key Identifier") == true)
    }

    @Test("IP addresses parse to one canonical text, with their reverse-DNS names (RFC 8738 §6)")
    func ipAddresses() throws {
        let v4 = try #require(ACMEIPAddress("203.0.113.7"))
        #expect(v4.bytes == [203, 0, 113, 7] && v4.text == "203.0.113.7")
        #expect(v4.reverseDNSName == "7.113.0.203.in-addr.arpa")
        let v6 = try #require(ACMEIPAddress("[2001:0DB8:0000:0000:0000:0000:0000:0001]"))
        #expect(v6.text == "2001:db8::1")
        #expect(v6.reverseDNSName == "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa")
        for notAnAddress in ["", "example.test", "1.2.3", "1.2.3.256", "2001:db8::1::2", "[1.2.3.4"] {
            #expect(ACMEIPAddress(notAnAddress) == nil, "\(notAnAddress)")
        }
        #expect(ACMEIdentifier.forName("203.0.113.7") == ACMEIdentifier(type: "ip", value: "203.0.113.7"))
        #expect(ACMEIdentifier.forName("example.test") == .dns("example.test"))
    }

    @Test("a CSR for an IP address carries it as an iPAddress SAN and no CN; with a DNS name the CN is the DNS name")
    func csrWithIPAddresses() throws {
        let key = try ACMECertificateKey.generate()
        let ipOnly = try CertificateSigningRequest(derEncoded: CSRBuilder.csr(for: ["2001:db8::1"], key: key))
        let sans = try #require(try ipOnly.attributes.extensionRequest?.extensions.subjectAlternativeNames)
        #expect(Array(sans) == [.ipAddress(ASN1OctetString(contentBytes: ACMEIPAddress("2001:db8::1")!.bytes[...]))])
        #expect(ipOnly.subject.isEmpty)
        let mixed = try CertificateSigningRequest(derEncoded: CSRBuilder.csr(for: ["203.0.113.7", "ip.example.test"], key: key))
        #expect("\(mixed.subject)" == "CN=ip.example.test")
    }

    @Test("a tls-alpn-01 certificate for an IP address has the address as iPAddress SAN; the CA's SNI is the reverse-DNS name")
    func challengeCertificateForAnIPAddress() throws {
        let challenge = try TLSALPNChallengeCertificate(name: "203.0.113.7", keyAuthorization: "token.thumbprint")
        #expect(challenge.serverName == "7.113.0.203.in-addr.arpa")
        let certificate = try Certificate(derEncoded: challenge.certificateDER)
        #expect(Array(try #require(try certificate.extensions.subjectAlternativeNames)) == [.ipAddress(ASN1OctetString(contentBytes: [203, 0, 113, 7]))])
        #expect(try certificate.extensions[oid: TLSALPNChallengeCertificate.acmeIdentifierOID]?.critical == true)
    }

    @Test("a badCSR that names Must-Staple is recognised as the CA refusing it; other problems are not")
    func refusesMustStaple() {
        let refusal = ACMEError(.serverProblem, "refused", problem: ACMEProblem(type: "urn:ietf:params:acme:error:badCSR", detail: "OCSP Must-Staple is no longer available"))
        let otherCSR = ACMEError(.serverProblem, "refused", problem: ACMEProblem(type: "urn:ietf:params:acme:error:badCSR", detail: "key too small"))
        let other = ACMEError(.serverProblem, "refused", problem: ACMEProblem(type: "urn:ietf:params:acme:error:rejectedIdentifier", detail: "staple"))
        #expect(refusal.refusesMustStaple && !otherCSR.refusesMustStaple && !other.refusesMustStaple)
    }
}
