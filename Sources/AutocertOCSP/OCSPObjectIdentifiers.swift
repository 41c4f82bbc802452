import SwiftASN1

/// Object identifiers used by OCSP (RFC 6960 appendix B) and the certificates around it.
enum OCSPOID {
    /// id-pkix-ocsp-basic (RFC 6960 §4.2.1).
    static let basicResponse: ASN1ObjectIdentifier = [1, 3, 6, 1, 5, 5, 7, 48, 1, 1]
    /// id-pkix-ocsp-nonce (RFC 6960 §4.4.1).
    static let nonce: ASN1ObjectIdentifier = [1, 3, 6, 1, 5, 5, 7, 48, 1, 2]
    /// id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1).
    static let noCheck: ASN1ObjectIdentifier = [1, 3, 6, 1, 5, 5, 7, 48, 1, 5]
    /// id-pkix-ocsp-response: AcceptableResponses (RFC 6960 §4.4.3).
    static let acceptableResponses: ASN1ObjectIdentifier = [1, 3, 6, 1, 5, 5, 7, 48, 1, 4]
    /// Embedded SCT list (RFC 6962 §3.3), a SingleResponse extension clients understand.
    static let signedCertificateTimestampList: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 11129, 2, 4, 5]

    static let sha1: ASN1ObjectIdentifier = [1, 3, 14, 3, 2, 26]
    static let sha256: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 2, 1]
    static let sha384: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 2, 2]
    static let sha512: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 2, 3]

    static let ecdsaWithSHA256: ASN1ObjectIdentifier = [1, 2, 840, 10045, 4, 3, 2]
    static let ecdsaWithSHA384: ASN1ObjectIdentifier = [1, 2, 840, 10045, 4, 3, 3]
    static let ecdsaWithSHA512: ASN1ObjectIdentifier = [1, 2, 840, 10045, 4, 3, 4]
    static let sha1WithRSAEncryption: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 5]
    static let sha256WithRSAEncryption: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 11]
    static let sha384WithRSAEncryption: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 12]
    static let sha512WithRSAEncryption: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 13]
    static let ed25519: ASN1ObjectIdentifier = [1, 3, 101, 112]
}
