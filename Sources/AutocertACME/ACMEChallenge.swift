import Crypto

/// A challenge: one way to prove control of an identifier (RFC 8555 §7.1.5, §8).
public struct ACMEChallenge: Sendable, Hashable, Codable {
    /// `http-01`, `tls-alpn-01`, `dns-01`, …
    public var type: String
    /// Where to POST to say the challenge is ready to be validated.
    public var url: String
    public var status: ACMEStatus
    /// The token the key authorization is built from (RFC 8555 §8.1).
    public var token: String?
    public var validated: String?
    /// Why validation failed, when it did.
    public var error: ACMEProblem?

    public init(type: String, url: String, status: ACMEStatus, token: String?, validated: String? = nil, error: ACMEProblem? = nil) {
        self.type = type
        self.url = url
        self.status = status
        self.token = token
        self.validated = validated
        self.error = error
    }

    /// The http-01 challenge type (RFC 8555 §8.3).
    public static let http01 = "http-01"
    /// The tls-alpn-01 challenge type (RFC 8737).
    public static let tlsALPN01 = "tls-alpn-01"
    /// The dns-01 challenge type (RFC 8555 §8.4).
    public static let dns01 = "dns-01"

    /// `token || '.' || base64url(Thumbprint(accountKey))` (RFC 8555 §8.1).
    public func keyAuthorization(for key: ACMEAccountKey) throws -> String {
        guard let token, !token.isEmpty else {
            throw ACMEError(.invalidResponse, "the \(type) challenge has no token", url: url)
        }
        return ACMEChallenge.keyAuthorization(token: token, key: key)
    }

    /// The key authorization of `token` for `key` (RFC 8555 §8.1).
    public static func keyAuthorization(token: String, key: ACMEAccountKey) -> String {
        token + "." + key.jwk.thumbprint
    }

    /// The path the http-01 answer is served at: `/.well-known/acme-challenge/TOKEN` (RFC 8555 §8.3).
    public var http01Path: String? { token.map { "/.well-known/acme-challenge/" + $0 } }

    /// The SHA-256 digest of the key authorization that the tls-alpn-01 certificate's
    /// acmeIdentifier extension carries (RFC 8737 §3).
    public static func tlsALPN01Digest(keyAuthorization: String) -> [UInt8] {
        Array(SHA256.hash(data: Array(keyAuthorization.utf8)))
    }

    /// The TXT record value of a dns-01 challenge: base64url(SHA-256(key authorization)) (RFC 8555 §8.4).
    public static func dns01TXTValue(keyAuthorization: String) -> String {
        Base64URL.encode(tlsALPN01Digest(keyAuthorization: keyAuthorization))
    }

    /// The name the dns-01 TXT record goes under: `_acme-challenge.` + the domain (RFC 8555 §8.4).
    public static func dns01RecordName(for domain: String) -> String { "_acme-challenge." + domain }
}

extension ACMEClient {
    /// Tells the CA the challenge answer is in place and may be validated (RFC 8555 §7.5.1):
    /// POST `{}` to the challenge URL. Then poll with ``waitForAuthorization(at:account:)``.
    public func respond(to challenge: ACMEChallenge, account: ACMEAccount) async throws -> ACMEChallenge {
        let response = try await post(challenge.url, payload: Array("{}".utf8), key: account.key, signer: .kid(account.url))
        let updated = try ACMEResponse.decode(ACMEChallenge.self, from: response, url: challenge.url, what: "challenge")
        logger.info("ACME challenge answered", metadata: ["type": "\(challenge.type)", "challenge": "\(challenge.url)"])
        return updated
    }
}
