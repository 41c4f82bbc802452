/// Why a certificate is revoked: a CRLReason code (RFC 5280 §5.3.1), as RFC 8555 §7.6 sends it.
public struct ACMERevocationReason: RawRepresentable, Sendable, Hashable {
    public var rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    public static let unspecified = ACMERevocationReason(rawValue: 0)
    public static let keyCompromise = ACMERevocationReason(rawValue: 1)
    public static let affiliationChanged = ACMERevocationReason(rawValue: 3)
    public static let superseded = ACMERevocationReason(rawValue: 4)
    public static let cessationOfOperation = ACMERevocationReason(rawValue: 5)
}

extension ACMEClient {
    /// Who signs a revocation request (RFC 8555 §7.6).
    public enum RevocationSigner: Sendable {
        /// The account that ordered the certificate (or holds authorizations for all its names).
        case account(ACMEAccount)
        /// The certificate's own key, signing with a `jwk` header.
        case certificateKey(ACMEAccountKey)
    }

    /// Revokes the certificate `certificateDER` (RFC 8555 §7.6). A certificate that is already
    /// revoked gives a ``ACMEError/Code/serverProblem`` whose problem is `alreadyRevoked`.
    public func revoke(certificateDER: [UInt8], reason: ACMERevocationReason? = nil, signer: RevocationSigner) async throws {
        guard let url = try await directory().revokeCert else {
            throw ACMEError(.unsupported, "this CA's directory has no revokeCert URL", url: directoryURL)
        }
        var payload = "{\"certificate\":\"\(Base64URL.encode(certificateDER))\""
        if let reason { payload += ",\"reason\":\(reason.rawValue)" }
        payload += "}"
        switch signer {
        case .account(let account):
            _ = try await post(url, payload: Array(payload.utf8), key: account.key, signer: .kid(account.url))
        case .certificateKey(let key):
            _ = try await post(url, payload: Array(payload.utf8), key: key, signer: .jwk)
        }
        logger.info("ACME certificate revoked", metadata: ["reason": "\(reason?.rawValue ?? 0)"])
    }
}
