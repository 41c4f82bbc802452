import Crypto
import Foundation
import SwiftASN1
import X509

/// The self-signed certificate a server presents for a tls-alpn-01 challenge (RFC 8737 §3):
/// one SAN, the identifier (a dNSName, or an iPAddress for an IP identifier, RFC 8738 §6),
/// and the critical acmeIdentifier extension holding the SHA-256 digest of the key
/// authorization. The TLS layer serves it to connections that offer only the `acme-tls/1`
/// ALPN protocol and name the identifier in SNI (for an IP address, its reverse-DNS name:
/// ``serverName``).
public struct TLSALPNChallengeCertificate: Sendable {
    /// The ALPN protocol of tls-alpn-01 (RFC 8737 §6.2).
    public static let alpnProtocol = "acme-tls/1"
    /// id-pe-acmeIdentifier, 1.3.6.1.5.5.7.1.31 (RFC 8737 §6.1).
    public static let acmeIdentifierOID: ASN1ObjectIdentifier = [1, 3, 6, 1, 5, 5, 7, 1, 31]

    /// The identifier the certificate is for: a DNS name or an IP address.
    public let name: String
    /// The server name the CA's validation sends in SNI: the DNS name, or the IP address's
    /// reverse-DNS name (RFC 8738 §6).
    public var serverName: String { ACMEIPAddress(name)?.reverseDNSName ?? name }
    /// The certificate, DER.
    public let certificateDER: [UInt8]
    /// The certificate's key (a fresh P-256 key).
    public let privateKey: P256.Signing.PrivateKey

    /// Builds the challenge certificate for `name` and `keyAuthorization`.
    public init(name: String, keyAuthorization: String, now: Date = Date()) throws {
        let key = P256.Signing.PrivateKey()
        let digest = ACMEChallenge.tlsALPN01Digest(keyAuthorization: keyAuthorization)
        // extnValue is the DER of `Authorization ::= OCTET STRING (SIZE (32))` (RFC 8737 §3).
        var serializer = DER.Serializer()
        try serializer.serialize(ASN1OctetString(contentBytes: digest[...]))
        let acmeIdentifier = Certificate.Extension(oid: Self.acmeIdentifierOID, critical: true, value: serializer.serializedBytes[...])
        let address = ACMEIPAddress(name)
        let subjectAltName: GeneralName = address.map { .ipAddress(ASN1OctetString(contentBytes: $0.bytes[...])) } ?? .dnsName(name)
        let subject = try DistinguishedName { CommonName(address?.reverseDNSName ?? name) }
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: now.addingTimeInterval(-3600),
            notValidAfter: now.addingTimeInterval(7 * 24 * 3600),
            issuer: subject,
            subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                SubjectAlternativeNames([subjectAltName])
                acmeIdentifier
            },
            issuerPrivateKey: Certificate.PrivateKey(key))
        var der = DER.Serializer()
        try der.serialize(certificate)
        self.name = name
        self.certificateDER = der.serializedBytes
        self.privateKey = key
    }

    /// The certificate as PEM.
    public var certificatePEM: String { PEMDocument(type: "CERTIFICATE", derBytes: certificateDER).pemString }
    /// The key as PEM (PKCS #8).
    public var privateKeyPEM: String { privateKey.pemRepresentation }
}
