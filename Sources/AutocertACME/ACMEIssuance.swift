import X509

/// Puts challenge answers where the CA will look, and takes them down again.
///
/// For http-01 serve `keyAuthorization` at ``ACMEChallenge/http01Path`` on port 80; for
/// tls-alpn-01 serve ``TLSALPNChallengeCertificate`` to `acme-tls/1` handshakes for the name.
public protocol ACMEChallengeSolver: Sendable {
    /// The challenge types answered, preferred first, e.g. ``ACMEChallenge/tlsALPN01``
    /// then ``ACMEChallenge/http01``: each authorization is answered with the first one it offers.
    var challengeTypes: [String] { get }
    /// Makes the answer available for `identifier`; returns once the CA may validate it.
    func present(_ challenge: ACMEChallenge, for identifier: ACMEIdentifier, keyAuthorization: String) async throws
    /// Removes the answer; called after validation whatever its outcome.
    func cleanUp(_ challenge: ACMEChallenge, for identifier: ACMEIdentifier) async
}

/// A certificate obtained by ``ACMEClient/issueCertificate(for:account:solver:key:mustStaple:)``.
public struct ACMEIssuedCertificate: Sendable {
    /// The order, `valid`.
    public let order: ACMEOrder
    /// The chain, end entity first, with any alternate chain URLs.
    public let chain: ACMECertificateChain
    /// The certificate's private key.
    public let key: ACMECertificateKey
}

extension ACMEClient {
    /// The whole issuance (RFC 8555 §7.4): a new order for `names`, every pending
    /// authorization answered through `solver`, finalize with a CSR for `key` (a fresh
    /// P-256 key when nil), and the chain downloaded.
    ///
    /// Answers are presented for all names, then the CA is told, then each authorization is
    /// polled; every presented answer is cleaned up, on success and on failure. Once every
    /// authorization is valid the clean-up runs while the order is finalized and downloaded
    /// (nothing after validation reads the answers), and it is over before this returns or throws.
    ///
    /// - Parameters:
    ///   - profile: the certificate profile (checked against the directory first).
    ///   - replaces: the ARI identifier of the certificate being renewed (RFC 9773 §5); when the
    ///     CA answers `alreadyReplaced` (it was replaced by another order), the order is made
    ///     again without it.
    public func issueCertificate(for names: [String], account: ACMEAccount, solver: some ACMEChallengeSolver,
                                 key: ACMECertificateKey? = nil, mustStaple: Bool = false,
                                 profile: String? = nil, replaces: String? = nil) async throws -> ACMEIssuedCertificate {
        let order: ACMEOrder
        do {
            order = try await newOrder(for: names, account: account, profile: profile, replaces: replaces)
        } catch let error as ACMEError where replaces != nil && error.problem?.isACMEError("alreadyReplaced") == true {
            logger.notice("the CA says the certificate was already replaced; ordering without replaces",
                          metadata: ["names": "\(names)", "replaces": "\(replaces ?? "")"])
            order = try await newOrder(for: names, account: account, profile: profile)
        }
        var presented: [(ACMEChallenge, ACMEIdentifier, String)] = []
        do {
            for url in order.resource.authorizations {
                let authorization = try await self.authorization(at: url, account: account)
                guard authorization.status != .valid else { continue }
                let types = solver.challengeTypes
                guard authorization.status == .pending, let challenge = types.lazy.compactMap({ authorization.challenge($0) }).first else {
                    throw ACMEError(.unsupported, "the authorization of \(authorization.identifier.value) is \(authorization.status) and offers none of \(types); offered: \(authorization.resource.challenges.map(\.type))", url: url)
                }
                try await solver.present(challenge, for: authorization.identifier, keyAuthorization: challenge.keyAuthorization(for: account.key))
                presented.append((challenge, authorization.identifier, url))
            }
            for (challenge, _, _) in presented { _ = try await respond(to: challenge, account: account) }
            for (_, _, url) in presented { _ = try await waitForAuthorization(at: url, account: account) }
        } catch {
            await Self.cleanUp(presented.map { ($0.0, $0.1) }, solver: solver)
            throw error
        }

        async let cleanedUp: Void = Self.cleanUp(presented.map { ($0.0, $0.1) }, solver: solver)
        do {
            // The order object is from its creation: fetch it at once (RFC 8555 §7.4: it is
            // `ready` as soon as its authorizations are valid) and pause only if it is not yet.
            let (current, retryAfter) = try await fetchOrder(order.url, account: account)
            let ready = try await waitForOrder(current, account: account, initialRetryAfter: retryAfter)
            let certificateKey = try key ?? ACMECertificateKey.generate()
            let csr = try CSRBuilder.csr(for: names, key: certificateKey, mustStaple: mustStaple)
            let valid = ready.status == .valid ? ready : try await finalize(ready, csrDER: csr, account: account)
            let chain = try await downloadCertificate(for: valid, account: account)
            try Self.check(chain, isFor: names, key: certificateKey, url: valid.url)
            logger.info("ACME certificate issued", metadata: ["names": "\(names)", "order": "\(valid.url)"])
            await cleanedUp
            return ACMEIssuedCertificate(order: valid, chain: chain, key: certificateKey)
        } catch {
            await cleanedUp
            throw error
        }
    }

    /// Takes down every presented answer, one after another.
    private static func cleanUp(_ presented: [(ACMEChallenge, ACMEIdentifier)], solver: some ACMEChallengeSolver) async {
        for (challenge, identifier) in presented { await solver.cleanUp(challenge, for: identifier) }
    }

    /// Checks that the CA issued what was asked (RFC 8555 §7.4): the leaf certifies the CSR's
    /// public key and every name of the order is in its subjectAltName (RFC 5280 §4.2.1.6).
    static func check(_ chain: ACMECertificateChain, isFor names: [String], key: ACMECertificateKey, url: String) throws {
        guard let leafDER = chain.certificatesDER.first, let leaf = try? Certificate(derEncoded: leafDER) else {
            throw ACMEError(.invalidResponse, "the CA's certificate chain holds no readable certificate", url: url)
        }
        guard leaf.publicKey == key.privateKey.publicKey else {
            throw ACMEError(.invalidResponse, "the CA issued a certificate for another public key than the CSR's; it cannot be served with the order's key", url: url)
        }
        let certified = Set(((try? leaf.extensions.subjectAlternativeNames) ?? nil)?.compactMap { name -> String? in
            switch name {
            case .dnsName(let dns): dns.lowercased()
            case .ipAddress(let octets): ACMEIPAddress(bytes: Array(octets.bytes))?.text
            default: nil
            }
        } ?? [])
        let missing = names.filter { !certified.contains(ACMEIPAddress($0)?.text ?? $0.lowercased()) }
        guard missing.isEmpty else {
            throw ACMEError(.invalidResponse, "the CA issued a certificate that does not name \(missing) (it names \(certified.sorted())); it cannot be served for the order", url: url)
        }
    }
}
