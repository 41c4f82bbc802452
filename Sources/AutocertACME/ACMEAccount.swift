import Foundation

/// An ACME account: its URL (the `kid` of every later request) and the key that signs for it.
public struct ACMEAccount: Sendable {
    /// The account URL (RFC 8555 §7.3): store it with the key to use the account again.
    public let url: String
    /// The account key.
    public let key: ACMEAccountKey
    /// The account object as the CA last sent it.
    public let resource: Resource

    /// The account object (RFC 8555 §7.1.2).
    public struct Resource: Sendable, Hashable, Codable {
        /// `valid`, `deactivated` or `revoked`.
        public var status: ACMEStatus
        public var contact: [String]?
        public var termsOfServiceAgreed: Bool?
        /// The URL of the account's order list.
        public var orders: String?

        public init(status: ACMEStatus, contact: [String]? = nil, termsOfServiceAgreed: Bool? = nil, orders: String? = nil) {
            self.status = status
            self.contact = contact
            self.termsOfServiceAgreed = termsOfServiceAgreed
            self.orders = orders
        }
    }

    public init(url: String, key: ACMEAccountKey, resource: Resource) {
        self.url = url
        self.key = key
        self.resource = resource
    }
}

extension ACMEClient {
    /// Creates an account for `key` (RFC 8555 §7.3), or returns the existing one for that key.
    ///
    /// - Parameters:
    ///   - contact: `mailto:` URLs the CA may write to about the account.
    ///   - termsOfServiceAgreed: whether the operator agreed to the directory's `termsOfService`.
    ///   - externalAccountBinding: the CA's binding credentials, when it requires them (§7.3.4).
    public func createAccount(key: ACMEAccountKey, contact: [String] = [], termsOfServiceAgreed: Bool, externalAccountBinding: ExternalAccountBinding? = nil) async throws -> ACMEAccount {
        let directory = try await directory()
        if directory.meta?.externalAccountRequired == true, externalAccountBinding == nil {
            throw ACMEError(.invalidInput, "this CA requires an external account binding (RFC 8555 §7.3.4); pass the key ID and MAC key the CA gave you", url: directory.newAccount)
        }
        let request = NewAccountRequest(contact: contact.isEmpty ? nil : contact, termsOfServiceAgreed: termsOfServiceAgreed,
                                        onlyReturnExisting: nil, externalAccountBinding: externalAccountBinding?.jws(for: key, newAccountURL: directory.newAccount))
        return try await postNewAccount(request, key: key, url: directory.newAccount)
    }

    /// Finds the existing account of `key` without creating one (`onlyReturnExisting`, RFC 8555 §7.3.1).
    /// Throws a ``ACMEError/Code/serverProblem`` with `accountDoesNotExist` when there is none.
    public func findAccount(key: ACMEAccountKey) async throws -> ACMEAccount {
        let directory = try await directory()
        let request = NewAccountRequest(contact: nil, termsOfServiceAgreed: nil, onlyReturnExisting: true, externalAccountBinding: nil)
        return try await postNewAccount(request, key: key, url: directory.newAccount)
    }

    /// Fetches the account object again (POST-as-GET to the account URL, RFC 8555 §6.3, §7.3).
    public func refresh(_ account: ACMEAccount) async throws -> ACMEAccount {
        let response = try await post(account.url, payload: nil, key: account.key, signer: .kid(account.url))
        let resource = try ACMEResponse.decode(ACMEAccount.Resource.self, from: response, url: account.url, what: "account")
        return ACMEAccount(url: account.url, key: account.key, resource: resource)
    }

    /// Replaces the account's contact list (RFC 8555 §7.3.2).
    public func updateContact(_ account: ACMEAccount, contact: [String]) async throws -> ACMEAccount {
        let payload = try JSONEncoder.acme.encode(["contact": contact])
        let response = try await post(account.url, payload: Array(payload), key: account.key, signer: .kid(account.url))
        let resource = try ACMEResponse.decode(ACMEAccount.Resource.self, from: response, url: account.url, what: "account")
        return ACMEAccount(url: account.url, key: account.key, resource: resource)
    }

    /// Deactivates the account for good (RFC 8555 §7.3.6); the CA refuses its requests afterwards.
    public func deactivate(_ account: ACMEAccount) async throws -> ACMEAccount {
        let payload = try JSONEncoder.acme.encode(["status": "deactivated"])
        let response = try await post(account.url, payload: Array(payload), key: account.key, signer: .kid(account.url))
        let resource = try ACMEResponse.decode(ACMEAccount.Resource.self, from: response, url: account.url, what: "account")
        return ACMEAccount(url: account.url, key: account.key, resource: resource)
    }

    /// Moves the account to `newKey` (RFC 8555 §7.3.5): an inner JWS signed by the new key,
    /// wrapped in an outer JWS signed by the old one. Returns the account with the new key.
    public func rollOver(_ account: ACMEAccount, to newKey: ACMEAccountKey) async throws -> ACMEAccount {
        guard let url = try await directory().keyChange else {
            throw ACMEError(.unsupported, "this CA's directory has no keyChange URL; it does not support key rollover", url: directoryURL)
        }
        let inner = "{\"account\":\(jsonString(account.url)),\"oldKey\":\(account.key.jwk.canonicalJSON)}"
        let innerJWS = try JWS.sign(payload: Array(inner.utf8), url: url, nonce: nil, key: newKey, signer: .jwk)
        _ = try await post(url, payload: try innerJWS.encoded(), key: account.key, signer: .kid(account.url))
        logger.info("ACME account key rolled over", metadata: ["account": "\(account.url)"])
        return ACMEAccount(url: account.url, key: newKey, resource: account.resource)
    }

    private func postNewAccount(_ request: NewAccountRequest, key: ACMEAccountKey, url: String) async throws -> ACMEAccount {
        let response = try await post(url, payload: Array(try JSONEncoder.acme.encode(request)), key: key, signer: .jwk)
        let resource = try ACMEResponse.decode(ACMEAccount.Resource.self, from: response, url: url, what: "account")
        let accountURL = try ACMEResponse.location(response, url: url, what: "account")
        logger.info("ACME account ready", metadata: ["account": "\(accountURL)", "created": "\(response.status == 201)"])
        return ACMEAccount(url: accountURL, key: key, resource: resource)
    }
}

/// The newAccount payload (RFC 8555 §7.3).
struct NewAccountRequest: Encodable {
    var contact: [String]?
    var termsOfServiceAgreed: Bool?
    var onlyReturnExisting: Bool?
    var externalAccountBinding: JWS?
}
