import AutocertOCSP
import Crypto
import Foundation
import SwiftASN1
import X509

/// An in-process CA that issues certificates and signs OCSP responses with swift-crypto,
/// so each verification rule can be broken one at a time.
struct TestAuthority {
    let key: P256.Signing.PrivateKey
    let certificate: Certificate
    let name: DistinguishedName

    init(name: String = "Unit Test CA", notBefore: Date = Date() - 86_400 * 30, notAfter: Date = Date() + 86_400 * 365) throws {
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName { CommonName(name) }
        self.key = key
        self.name = subject
        self.certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: notBefore, notValidAfter: notAfter, issuer: subject, subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
            },
            issuerPrivateKey: .init(key))
    }

    /// Issues a certificate for `name`; `ocspSigning` adds the id-kp-OCSPSigning EKU, and
    /// `extensions` are added after the EKU and AIA (with whatever criticality they carry).
    func issue(
        _ name: String,
        ocspURL: String? = "http://127.0.0.1:1/ocsp",
        ocspSigning: Bool = false,
        serial: [UInt8]? = nil,
        notBefore: Date = Date() - 86_400,
        notAfter: Date = Date() + 86_400 * 90,
        extensions extra: [Certificate.Extension] = []
    ) throws -> (certificate: Certificate, key: P256.Signing.PrivateKey) {
        let key = P256.Signing.PrivateKey()
        var extensions = try Certificate.Extensions {
            try ExtendedKeyUsage(ocspSigning ? [.ocspSigning] : [.serverAuth])
            if let ocspURL {
                AuthorityInformationAccess([.init(method: .ocspServer, location: .uniformResourceIdentifier(ocspURL))])
            }
        }
        for ext in extra { try extensions.append(ext) }
        let certificate = try Certificate(
            version: .v3,
            serialNumber: serial.map { Certificate.SerialNumber(bytes: $0[...]) } ?? Certificate.SerialNumber(),
            publicKey: .init(key.publicKey),
            notValidBefore: notBefore, notValidAfter: notAfter,
            issuer: self.name, subject: try DistinguishedName { CommonName(name) },
            signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions,
            issuerPrivateKey: .init(self.key))
        return (certificate, key)
    }
}
