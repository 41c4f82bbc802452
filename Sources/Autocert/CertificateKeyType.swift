import Crypto
import _CryptoExtras
import X509

/// The kind of private key the ``Manager`` makes for a certificate.
public enum CertificateKeyType: String, Sendable, Hashable, CaseIterable {
    /// ECDSA on P-256 (the default): small, fast, accepted everywhere that matters.
    case p256
    /// RSA 2048, for clients that cannot verify ECDSA.
    case rsa2048
}

/// A certificate's private key in the three forms the Manager needs: for signing (a CSR),
/// as PEM (storage) and as DER (``AutocertTLS/CertifiedKey``).
struct CertificateKey: Sendable {
    let privateKey: Certificate.PrivateKey
    let pem: String
    let der: [UInt8]

    /// A fresh key of `type`.
    static func generate(_ type: CertificateKeyType) throws -> CertificateKey {
        switch type {
        case .p256: try CertificateKey(Certificate.PrivateKey(P256.Signing.PrivateKey()))
        case .rsa2048: try CertificateKey(Certificate.PrivateKey(_RSA.Signing.PrivateKey(keySize: .bits2048)))
        }
    }

    init(_ privateKey: Certificate.PrivateKey) throws {
        let document = try privateKey.serializeAsPEM()
        self.privateKey = privateKey
        self.pem = document.pemString
        self.der = document.derBytes
    }

    /// Reads a PEM key (PKCS #8, SEC 1 or PKCS #1).
    init(pem: String) throws {
        try self.init(Certificate.PrivateKey(pemEncoded: pem))
    }

    /// The signature algorithm for a CSR signed by this key.
    var signatureAlgorithm: Certificate.SignatureAlgorithm {
        P256.Signing.PublicKey(privateKey.publicKey) != nil ? .ecdsaWithSHA256 : .sha256WithRSAEncryption
    }
}
