import Crypto
import _CryptoExtras
import Foundation
import SwiftASN1
import X509

/// Builds the PKCS #10 request sent to finalize an order (RFC 8555 §7.4).
public enum CSRBuilder {
    /// id-pe-tlsfeature, 1.3.6.1.5.5.7.1.24 (RFC 7633 §6).
    public static let tlsFeatureOID: ASN1ObjectIdentifier = [1, 3, 6, 1, 5, 5, 7, 1, 24]

    /// A DER CSR for `names` (all in the SAN, the first DNS name also as CN), signed by `key`.
    /// An IP address (RFC 8738) goes in the SAN as an iPAddress (RFC 5280 §4.2.1.6), never in
    /// the CN.
    ///
    /// - Parameter mustStaple: adds the TLS Feature extension with `status_request` (5),
    ///   asking the CA for an OCSP Must-Staple certificate (RFC 7633 §4.2.1).
    public static func csr(for names: [String], key: ACMECertificateKey, mustStaple: Bool = false) throws -> [UInt8] {
        guard !names.isEmpty else {
            throw ACMEError(.invalidInput, "a CSR needs at least one DNS name or IP address")
        }
        var extensions = try Certificate.Extensions {
            SubjectAlternativeNames(names.map { name in
                ACMEIPAddress(name).map { GeneralName.ipAddress(ASN1OctetString(contentBytes: $0.bytes[...])) } ?? .dnsName(name)
            })
        }
        if mustStaple {
            // Features ::= SEQUENCE OF INTEGER; status_request is 5 (RFC 7633 §4.1, RFC 6066 §8).
            let value: [UInt8] = [0x30, 0x03, 0x02, 0x01, 0x05]
            try extensions.append(Certificate.Extension(oid: tlsFeatureOID, critical: false, value: value[...]))
        }
        let attributes = CertificateSigningRequest.Attributes([
            try CertificateSigningRequest.Attribute(ExtensionRequest(extensions: extensions))
        ])
        let csr = try CertificateSigningRequest(
            version: .v1,
            subject: try names.first { ACMEIPAddress($0) == nil }.map { first in try DistinguishedName { CommonName(first) } } ?? DistinguishedName(),
            privateKey: key.privateKey,
            attributes: attributes,
            signatureAlgorithm: key.signatureAlgorithm)
        var serializer = DER.Serializer()
        try serializer.serialize(csr)
        return serializer.serializedBytes
    }
}
