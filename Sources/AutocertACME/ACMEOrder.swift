import Foundation

/// An order: the request for one certificate (RFC 8555 §7.1.3).
public struct ACMEOrder: Sendable, Hashable {
    /// The order URL (the `Location` of newOrder), polled for its status.
    public var url: String
    public var resource: Resource

    /// The order object as the CA sends it (RFC 8555 §7.1.3).
    public struct Resource: Sendable, Hashable, Codable {
        public var status: ACMEStatus
        public var expires: String?
        public var identifiers: [ACMEIdentifier]
        /// One authorization URL per identifier still to prove (or already proved).
        public var authorizations: [String]
        /// Where to POST the CSR once the order is `ready`.
        public var finalize: String
        /// Where to download the certificate once the order is `valid`.
        public var certificate: String?
        /// Why the order became `invalid`.
        public var error: ACMEProblem?
        /// The certificate profile the order was made with, as the CA echoes it (ACME profiles).
        public var profile: String?
        /// The certificate this order replaces, as the CA echoes it (RFC 9773 §5).
        public var replaces: String?
    }

    public var status: ACMEStatus { resource.status }
}

extension ACMEClient {
    /// Asks for a certificate for `names` (RFC 8555 §7.4): DNS names, or IP addresses
    /// (RFC 8738 §3, an `ip` identifier each).
    ///
    /// - Parameters:
    ///   - profile: the certificate profile to issue under (ACME profiles); it must be one the
    ///     directory offers (``ACMEDirectory/Meta/profiles``), checked before anything is sent.
    ///   - replaces: the ARI identifier of the certificate this one replaces
    ///     (``ACMECertificateIdentifier``, RFC 9773 §5).
    /// - Throws: ``ACMEError/Code/invalidInput`` for no names or a profile the CA does not offer.
    public func newOrder(for names: [String], account: ACMEAccount, profile: String? = nil, replaces: String? = nil) async throws -> ACMEOrder {
        guard !names.isEmpty else {
            throw ACMEError(.invalidInput, "an order needs at least one DNS name or IP address")
        }
        if let profile { try await checkProfile(profile) }
        let url = try await directory().newOrder
        let payload = try JSONEncoder.acme.encode(NewOrderPayload(identifiers: names.map(ACMEIdentifier.forName), profile: profile, replaces: replaces))
        let response = try await post(url, payload: Array(payload), key: account.key, signer: .kid(account.url))
        let resource = try ACMEResponse.decode(ACMEOrder.Resource.self, from: response, url: url, what: "order")
        let orderURL = try ACMEResponse.location(response, url: url, what: "order")
        logger.info("ACME order created", metadata: ["order": "\(orderURL)", "names": "\(names)"])
        return ACMEOrder(url: orderURL, resource: resource)
    }

    /// Fetches the order's current state (POST-as-GET, RFC 8555 §7.4).
    public func order(at url: String, account: ACMEAccount) async throws -> ACMEOrder {
        try await fetchOrder(url, account: account).order
    }

    /// Sends the CSR (DER) of a `ready` order (RFC 8555 §7.4) and waits, polling with
    /// Retry-After, until the certificate is issued. Throws ``ACMEError/Code/orderFailed``
    /// when the order becomes invalid.
    public func finalize(_ order: ACMEOrder, csrDER: [UInt8], account: ACMEAccount) async throws -> ACMEOrder {
        let payload = try JSONEncoder.acme.encode(["csr": Base64URL.encode(csrDER)])
        let response = try await post(order.resource.finalize, payload: Array(payload), key: account.key, signer: .kid(account.url))
        let resource = try ACMEResponse.decode(ACMEOrder.Resource.self, from: response, url: order.resource.finalize, what: "order")
        let finalized = ACMEOrder(url: order.url, resource: resource)
        return try await waitForOrder(finalized, account: account, until: [.valid], initialRetryAfter: ACMEResponse.retryAfter(response))
    }

    /// Polls the order until its status is one of `targets` (default: `ready` or `valid`),
    /// pausing as ``ACMEPolling`` says: the CA's Retry-After (RFC 8555 §7.4: a `processing`
    /// order may carry one), else a backoff from 50 ms.
    public func waitForOrder(_ order: ACMEOrder, account: ACMEAccount, until targets: Set<ACMEStatus> = [.ready, .valid], initialRetryAfter: Duration? = nil) async throws -> ACMEOrder {
        var current = order
        var retryAfter = initialRetryAfter
        var poller = configuration.polling.start(clock: pollingClock)
        while !targets.contains(current.status) {
            if current.status == .invalid || current.status == .expired {
                throw ACMEError(.orderFailed, "the order is \(current.status); start a new order after fixing the cause", problem: current.resource.error, url: current.url)
            }
            try await poller.wait(retryAfter: retryAfter, what: "order \(current.url) to become \(targets.map(\.rawValue).sorted().joined(separator: " or "))")
            (current, retryAfter) = try await fetchOrder(current.url, account: account)
        }
        return current
    }

    func fetchOrder(_ url: String, account: ACMEAccount) async throws -> (order: ACMEOrder, retryAfter: Duration?) {
        let response = try await post(url, payload: nil, key: account.key, signer: .kid(account.url))
        let resource = try ACMEResponse.decode(ACMEOrder.Resource.self, from: response, url: url, what: "order")
        return (ACMEOrder(url: url, resource: resource), ACMEResponse.retryAfter(response))
    }
}

/// The body of a newOrder request (RFC 8555 §7.4, RFC 9773 §5, ACME profiles).
private struct NewOrderPayload: Encodable {
    var identifiers: [ACMEIdentifier]
    var profile: String?
    var replaces: String?
}
