import AutocertTLS
import AutocertOCSP

extension Manager {
    /// Revokes the certificate served for `name` at the CA (RFC 8555 §7.6) and replaces it at
    /// once, with a new key when `reason` is keyCompromise (RFC 5280 §5.3.1). The revoked
    /// certificate is served until the replacement is in place.
    ///
    /// - Throws: ``AutocertError/Code/notServed`` when no certificate is served for `name`;
    ///   the CA's error when it refuses.
    public func revokeCertificate(for name: String, reason: OCSPRevocationReason? = nil) async throws {
        guard let name = HostPolicy.canonicalName(name), let entry = served.withLock({ $0[name] }) else {
            throw AutocertError(.notServed, "no certificate is served for \(name); nothing to revoke")
        }
        do {
            try await authority.revokeCertificate(entry.key.certificateChain[0], reason: reason?.rawValue)
        } catch {
            logger.error("the CA refused to revoke the certificate", metadata: ["name": "\(name)", "error": "\(error)"])
            throw AutocertError(.issuanceFailed, "the CA refused to revoke the certificate of \(name)", underlying: error)
        }
        logger.notice("certificate revoked at the CA", metadata: ["name": "\(name)"])
        replaceRevoked(name, reason: reason)
    }
}
