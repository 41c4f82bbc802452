import Crypto
import Foundation
import SwiftASN1
import Testing
import X509
@testable import AutocertACME

@Suite("Certificate building: the tls-alpn-01 certificate and the CSR")
struct CertificateBuildingTests {
    @Test("the tls-alpn-01 certificate follows RFC 8737: the one name, and a critical acmeIdentifier holding SHA-256 of the key authorization")
    func tlsALPNChallengeCertificateFollowsRFC8737() throws {
        let keyAuthorization = "token.thumbprint"
        let challenge = try TLSALPNChallengeCertificate(name: "a.example", keyAuthorization: keyAuthorization)
        let certificate = try Certificate(derEncoded: challenge.certificateDER)
        let sans = try #require(try certificate.extensions.subjectAlternativeNames)
        #expect(Array(sans) == [.dnsName("a.example")])
        let acme = try #require(certificate.extensions[oid: TLSALPNChallengeCertificate.acmeIdentifierOID])
        #expect(acme.critical)
        // extnValue = OCTET STRING (32 bytes) holding SHA-256(keyAuthorization).
        let digest = ACMEChallenge.tlsALPN01Digest(keyAuthorization: keyAuthorization)
        #expect(Array(acme.value) == [0x04, 0x20] + digest)
        #expect(certificate.publicKey == Certificate.PublicKey(challenge.privateKey.publicKey))
        #expect(challenge.certificatePEM.hasPrefix("-----BEGIN CERTIFICATE-----"))
    }

    @Test("a CSR carries every name and is signed by the key, with must-staple only when asked; no names is refused", arguments: CertificateKeyType.allCases)
    func csrCarriesEveryNameAndOptionalMustStaple(kind: CertificateKeyType) throws {
        let key = try ACMECertificateKey.generate(kind)
        for mustStaple in [false, true] {
            let der = try CSRBuilder.csr(for: ["a.example", "b.example"], key: key, mustStaple: mustStaple)
            let csr = try CertificateSigningRequest(derEncoded: der)
            #expect(csr.publicKey == key.privateKey.publicKey)
            #expect(csr.publicKey.isValidSignature(csr.signature, for: csr))
            let extensions = try #require(try csr.attributes.extensionRequest).extensions
            #expect(Array(try #require(try extensions.subjectAlternativeNames)) == [.dnsName("a.example"), .dnsName("b.example")])
            let feature = extensions[oid: CSRBuilder.tlsFeatureOID]
            #expect((feature != nil) == mustStaple)
            if let feature { #expect(Array(feature.value) == [0x30, 0x03, 0x02, 0x01, 0x05]) }
        }
        #expect(throws: ACMEError.self) { try CSRBuilder.csr(for: [], key: key) }
    }
}
