import AutocertACME
import X509

/// The CA the ``Manager`` obtains certificates from: the seam between the Manager and ACME.
///
/// ``ACMECertificateAuthority`` is the implementation over `AutocertACME.ACMEClient`;
/// tests use an in-process fake that signs with swift-certificates.
public protocol CertificateAuthority: Sendable {
    /// Obtains a certificate for `request`, answering challenges through `challenges`.
    ///
    /// - Returns: the chain, leaf first, each certificate DER.
    func issueCertificate(_ request: CertificateRequest, challenges: ChallengeAnswers) async throws -> [[UInt8]]

    /// Revokes the certificate `leafDER` (RFC 8555 §7.6) with a CRLReason code (RFC 5280 §5.3.1).
    func revokeCertificate(_ leafDER: [UInt8], reason: Int?) async throws
}

/// What the Manager asks a ``CertificateAuthority`` for.
public struct CertificateRequest: Sendable {
    /// The DNS names, the first also the subject's common name.
    public var names: [String]
    /// The certificate's key, already persisted: it signs the CSR (RFC 8555 §7.4).
    public var key: ACMECertificateKey
    /// Whether to ask for the TLS Feature status_request extension (RFC 7633 §4.2.1).
    public var mustStaple: Bool

    public init(names: [String], key: ACMECertificateKey, mustStaple: Bool) {
        self.names = names
        self.key = key
        self.mustStaple = mustStaple
    }

    /// The certificate's private key (``key``'s), whose public key the certificate must carry.
    public var privateKey: Certificate.PrivateKey { key.privateKey }
}
