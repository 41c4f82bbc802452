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

    /// The CA's renewal information for the certificate `leafDER` (ARI, RFC 9773), or nil
    /// when the CA offers none. Default: nil.
    func renewalInfo(forCertificate leafDER: [UInt8]) async throws -> ACMERenewalInfo?

    /// Throws, naming the profiles the CA offers, unless it offers `profile`. Default: accepts any.
    func checkProfile(_ profile: String) async throws

    /// Gets ready to issue, so that the first order does not wait for it: for ACME, the
    /// directory, a nonce and the account (RFC 8555 §7.1.1, §7.2, §7.3). The Manager calls it
    /// for a new name while it takes the order lock and makes the key. A failure is not
    /// reported here: ``issueCertificate(_:challenges:)`` meets it again and throws it.
    /// Default: nothing to do.
    func prepare() async
}

extension CertificateAuthority {
    public func renewalInfo(forCertificate leafDER: [UInt8]) async throws -> ACMERenewalInfo? { nil }
    public func checkProfile(_ profile: String) async throws {}
    public func prepare() async {}
}

/// What the Manager asks a ``CertificateAuthority`` for.
public struct CertificateRequest: Sendable {
    /// The DNS names or IP addresses (RFC 8738), the first DNS name also the subject's common name.
    public var names: [String]
    /// The certificate's key, already persisted: it signs the CSR (RFC 8555 §7.4).
    public var key: ACMECertificateKey
    /// Whether to ask for the TLS Feature status_request extension (RFC 7633 §4.2.1).
    public var mustStaple: Bool
    /// The certificate profile to issue under (ACME profiles), or nil for the CA's default.
    public var profile: String?
    /// The ARI identifier of the certificate this one replaces (RFC 9773 §5), when renewing
    /// at a CA that offers renewal information.
    public var replaces: String?

    public init(names: [String], key: ACMECertificateKey, mustStaple: Bool, profile: String? = nil, replaces: String? = nil) {
        self.names = names
        self.key = key
        self.mustStaple = mustStaple
        self.profile = profile
        self.replaces = replaces
    }

    /// The certificate's private key (``key``'s), whose public key the certificate must carry.
    public var privateKey: Certificate.PrivateKey { key.privateKey }
}
