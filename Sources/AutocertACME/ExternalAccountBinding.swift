import Crypto
import Foundation

/// The credentials a CA hands out to bind a new ACME account to an existing customer
/// account (RFC 8555 §7.3.4): a key identifier and an HMAC key.
public struct ExternalAccountBinding: Sendable, Hashable {
    /// The key identifier the CA gave (the `kid` of the binding JWS).
    public var keyID: String
    /// The raw HMAC key bytes.
    public var macKey: [UInt8]

    public init(keyID: String, macKey: [UInt8]) {
        self.keyID = keyID
        self.macKey = macKey
    }

    /// Reads the MAC key in base64url, the form CAs publish it in.
    public init(keyID: String, base64URLMACKey: String) throws {
        guard let key = Base64URL.decode(base64URLMACKey), !key.isEmpty else {
            throw ACMEError(.invalidInput, "the external account binding MAC key is not base64url; copy it exactly as the CA gave it")
        }
        self.init(keyID: keyID, macKey: key)
    }

    /// The binding JWS: the account's JWK signed with HS256 under the MAC key, with the
    /// protected header `{alg, kid, url}` and no nonce (RFC 8555 §7.3.4).
    func jws(for accountKey: ACMEAccountKey, newAccountURL: String) -> JWS {
        let header = "{\"alg\":\"HS256\",\"kid\":\(jsonString(keyID)),\"url\":\(jsonString(newAccountURL))}"
        let protected = Base64URL.encode(header)
        let payload = Base64URL.encode(accountKey.jwk.canonicalJSON)
        let input = Array(JWS.signingInput(protected: protected, payload: payload).utf8)
        let mac = HMAC<SHA256>.authenticationCode(for: input, using: SymmetricKey(data: macKey))
        return JWS(protected: protected, payload: payload, signature: Base64URL.encode(mac))
    }
}
