import Crypto
import _CryptoExtras
import X509

/// The kinds of private key a certificate can have.
public enum CertificateKeyType: String, Sendable, Hashable, CaseIterable {
    /// ECDSA on P-256 (the default): small, fast, accepted everywhere that matters.
    case p256
    /// RSA 2048, for clients that cannot verify ECDSA.
    case rsa2048
}

/// The private key of a certificate, in every form issuance and serving need: for signing
/// the CSR (RFC 8555 §7.4), as PEM for storage, as DER for a TLS library, and as a JWS key to
/// revoke the certificate with its own key (RFC 8555 §7.6).
public struct ACMECertificateKey: Sendable {
    /// The key, for signing the CSR and for the TLS layer.
    public let privateKey: Certificate.PrivateKey
    /// The key as PEM (PKCS #8), for storing with the certificate.
    public let pemRepresentation: String
    /// The key as DER (PKCS #8), as TLS libraries load it.
    public let derRepresentation: [UInt8]
    /// The key as an ``ACMEAccountKey``, to revoke the certificate with its own key (RFC 8555 §7.6).
    public let signingKey: ACMEAccountKey

    /// A fresh key of `type`.
    public static func generate(_ type: CertificateKeyType = .p256) throws -> ACMECertificateKey {
        switch type {
        case .p256: try ACMECertificateKey(P256.Signing.PrivateKey())
        case .rsa2048: try ACMECertificateKey(try _RSA.Signing.PrivateKey(keySize: .bits2048))
        }
    }

    /// Reads a PEM private key: P-256 (SEC 1 or PKCS #8) or RSA (PKCS #1 or PKCS #8).
    ///
    /// - Throws: ``ACMEError/Code/invalidInput`` for anything else.
    public init(pemRepresentation pem: String) throws {
        let signingKey = try ACMEAccountKey(pemRepresentation: pem)
        switch signingKey.backing {
        case .p256(let key): try self.init(Certificate.PrivateKey(key), signingKey: signingKey)
        case .rsa(let key): try self.init(Certificate.PrivateKey(key), signingKey: signingKey)
        }
    }

    /// Wraps a P-256 key.
    public init(_ key: P256.Signing.PrivateKey) throws {
        try self.init(Certificate.PrivateKey(key), signingKey: ACMEAccountKey(key))
    }

    /// Wraps an RSA key of at least 2048 bits.
    public init(_ key: _RSA.Signing.PrivateKey) throws {
        try self.init(Certificate.PrivateKey(key), signingKey: try ACMEAccountKey(key))
    }

    private init(_ privateKey: Certificate.PrivateKey, signingKey: ACMEAccountKey) throws {
        let document = try privateKey.serializeAsPEM()
        self.privateKey = privateKey
        self.pemRepresentation = document.pemString
        self.derRepresentation = document.derBytes
        self.signingKey = signingKey
    }

    /// The signature algorithm of a CSR signed by this key.
    public var signatureAlgorithm: Certificate.SignatureAlgorithm {
        signingKey.algorithm == "RS256" ? .sha256WithRSAEncryption : .ecdsaWithSHA256
    }
}
