import Crypto
import Foundation
import SwiftASN1
import Testing
import X509
@testable import AutocertACME

/// What `issueCertificate` checks before it returns a chain (RFC 8555 §7.4): the leaf
/// certifies the CSR's key and names every identifier of the order (RFC 5280 §4.2.1.6).
@Suite("ACME issuance: the issued chain is checked against the order's key and names")
struct IssuedChainCheckTests {
    /// A PEM chain of one self-signed leaf for `key` naming `dnsNames` and `addresses`.
    static func chain(for key: Certificate.PrivateKey, dnsNames: [String], addresses: [[UInt8]] = []) throws -> ACMECertificateChain {
        let name = try DistinguishedName { CommonName("issued.test") }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: key.publicKey,
            notValidBefore: Date(), notValidAfter: Date().addingTimeInterval(86_400), issuer: name, subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                SubjectAlternativeNames(dnsNames.map { .dnsName($0) } + addresses.map { .ipAddress(ASN1OctetString(contentBytes: $0[...])) })
            },
            issuerPrivateKey: key)
        let pem = try certificate.serializeAsPEM().pemString
        return try ACMECertificateChain(pem: pem, alternateURLs: [], url: "https://ca.test/cert/1")
    }

    @Test("a leaf for the CSR's key naming every identifier (names in any case, an IP address) passes")
    func matchingChainPasses() throws {
        let key = try ACMECertificateKey.generate()
        let chain = try Self.chain(for: key.privateKey, dnsNames: ["A.Example.test", "b.example.test"], addresses: [[127, 0, 0, 2]])
        try ACMEClient.check(chain, isFor: ["a.example.test", "b.example.test", "127.0.0.2"], key: key, url: "https://ca.test/cert/1")
    }

    @Test("a leaf for another public key than the CSR's is refused as invalidResponse")
    func anotherKeyIsRefused() throws {
        let orderKey = try ACMECertificateKey.generate()
        let otherKey = try ACMECertificateKey.generate()
        let chain = try Self.chain(for: otherKey.privateKey, dnsNames: ["a.example.test"])
        let error = #expect(throws: ACMEError.self) {
            try ACMEClient.check(chain, isFor: ["a.example.test"], key: orderKey, url: "https://ca.test/cert/1")
        }
        #expect(error?.code == .invalidResponse)
        #expect(error.map { "\($0)" }?.contains("another public key") == true)
    }

    @Test("a leaf that leaves out a name of the order is refused, naming what is missing")
    func missingNameIsRefused() throws {
        let key = try ACMECertificateKey.generate()
        let chain = try Self.chain(for: key.privateKey, dnsNames: ["a.example.test"])
        let error = #expect(throws: ACMEError.self) {
            try ACMEClient.check(chain, isFor: ["a.example.test", "b.example.test"], key: key, url: "https://ca.test/cert/1")
        }
        #expect(error?.code == .invalidResponse)
        #expect(error.map { "\($0)" }?.contains("b.example.test") == true)
    }
}
