/// An authorization: the proof of control over one identifier (RFC 8555 §7.1.4).
public struct ACMEAuthorization: Sendable, Hashable {
    /// The authorization URL.
    public var url: String
    public var resource: Resource

    /// The authorization object as the CA sends it (RFC 8555 §7.1.4).
    public struct Resource: Sendable, Hashable, Codable {
        public var identifier: ACMEIdentifier
        public var status: ACMEStatus
        public var expires: String?
        /// The ways the CA offers to prove control; after validation, the one that was used.
        public var challenges: [ACMEChallenge]
        /// True for an authorization of a `*.` name (its identifier has no `*.`).
        public var wildcard: Bool?
    }

    public var status: ACMEStatus { resource.status }
    public var identifier: ACMEIdentifier { resource.identifier }

    /// The challenge of `type` (e.g. ``ACMEChallenge/tlsALPN01``), if the CA offers it.
    public func challenge(_ type: String) -> ACMEChallenge? {
        resource.challenges.first { $0.type == type }
    }
}

extension ACMEClient {
    /// Fetches an authorization (POST-as-GET, RFC 8555 §7.5).
    public func authorization(at url: String, account: ACMEAccount) async throws -> ACMEAuthorization {
        try await fetchAuthorization(url, account: account).authorization
    }

    /// Polls the authorization until it is `valid` (RFC 8555 §7.5.1), pausing as ``ACMEPolling``
    /// says (the CA's Retry-After, else a backoff from 50 ms). Throws
    /// ``ACMEError/Code/validationFailed`` with the challenge's problem when it became invalid.
    public func waitForAuthorization(at url: String, account: ACMEAccount) async throws -> ACMEAuthorization {
        var (current, retryAfter) = try await fetchAuthorization(url, account: account)
        var poller = configuration.polling.start(clock: pollingClock)
        while current.status != .valid {
            guard current.status == .pending else {
                let problem = current.resource.challenges.compactMap(\.error).first
                throw ACMEError(.validationFailed,
                                "the CA could not validate \(current.identifier.value) (authorization \(current.status)); check that the challenge answer is reachable from the CA",
                                problem: problem, url: url)
            }
            try await poller.wait(retryAfter: retryAfter, what: "authorization of \(current.identifier.value)")
            (current, retryAfter) = try await fetchAuthorization(url, account: account)
        }
        return current
    }

    /// Gives up an authorization that will not be used (RFC 8555 §7.5.2).
    public func deactivate(_ authorization: ACMEAuthorization, account: ACMEAccount) async throws -> ACMEAuthorization {
        let response = try await post(authorization.url, payload: Array("{\"status\":\"deactivated\"}".utf8), key: account.key, signer: .kid(account.url))
        let resource = try ACMEResponse.decode(ACMEAuthorization.Resource.self, from: response, url: authorization.url, what: "authorization")
        return ACMEAuthorization(url: authorization.url, resource: resource)
    }

    func fetchAuthorization(_ url: String, account: ACMEAccount) async throws -> (authorization: ACMEAuthorization, retryAfter: Duration?) {
        let response = try await post(url, payload: nil, key: account.key, signer: .kid(account.url))
        let resource = try ACMEResponse.decode(ACMEAuthorization.Resource.self, from: response, url: url, what: "authorization")
        return (ACMEAuthorization(url: url, resource: resource), ACMEResponse.retryAfter(response))
    }
}
