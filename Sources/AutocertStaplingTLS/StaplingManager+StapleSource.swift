import AutocertOCSP
import AutocertStapling
import AutocertTLS

/// A ``StaplingManager`` as the TLS layer's ``StapleSource`` for one certificate: each
/// handshake that asks for a staple gets the manager's current verified staple for it
/// (``StaplingManager/staple(for:)``: one locked table read, no allocation), or none.
///
/// The glue between the two layers: the stapler knows nothing of TLS, the TLS layer nothing
/// of OCSP, and this is the only place that knows both.
public struct StaplingManagerStapleSource: StapleSource {
    /// The stapler asked.
    public let stapler: StaplingManager
    /// The certificate whose staple is asked for.
    public let id: StapleID

    public init(stapler: StaplingManager, id: StapleID) {
        self.stapler = stapler
        self.id = id
    }

    public func currentStaple() -> [UInt8]? {
        stapler.staple(for: id)
    }
}

extension StaplingManager {
    /// The source a ``CertifiedKey`` asks for the staple of certificate `id`.
    public func stapleSource(for id: StapleID) -> StaplingManagerStapleSource {
        StaplingManagerStapleSource(stapler: self, id: id)
    }

    /// Registers the certificate of `key` (its leaf and the issuer after it in the chain) and
    /// returns the same chain and private key with this manager as its staple source.
    ///
    /// For certificates you bring: the staple is fetched, verified, refreshed and persisted
    /// by this manager (run it with ``run()``), and every handshake gets the current one.
    ///
    /// - Throws: ``OCSPError`` when the chain holds no issuer, or the issuer did not sign the leaf.
    public func stapling(_ key: CertifiedKey, responderURL: String? = nil) async throws(OCSPError) -> CertifiedKey {
        let chain = key.certificateChain
        guard chain.count >= 2 else {
            throw OCSPError(.invalidCertificate, "the chain holds no issuer certificate, so its OCSP responses cannot be verified; append the issuer's certificate after the leaf")
        }
        let id = try await add(leafDER: chain[0], issuerDER: chain[1], responderURL: responderURL)
        return key.withStapleSource(stapleSource(for: id))
    }
}
