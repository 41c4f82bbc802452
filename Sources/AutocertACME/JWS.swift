import Foundation

/// A JWS in the flattened JSON serialization, the body of every ACME POST (RFC 8555 §6.2).
public struct JWS: Sendable, Hashable, Codable {
    /// base64url of the protected header's JSON.
    public var protected: String
    /// base64url of the payload; empty for POST-as-GET (RFC 8555 §6.3).
    public var payload: String
    /// base64url of the signature over ``signingInput``.
    public var signature: String

    /// `ASCII(BASE64URL(protected) || '.' || BASE64URL(payload))`, what is signed (RFC 7515 §5.1).
    public var signingInput: String { JWS.signingInput(protected: protected, payload: payload) }

    static func signingInput(protected: String, payload: String) -> String { protected + "." + payload }

    /// How a request names its signer (RFC 8555 §6.2): `jwk` before the account exists
    /// (newAccount, revocation by certificate key, the inner JWS of a key change), `kid` after.
    public enum Signer: Sendable, Hashable {
        case jwk
        case kid(String)
    }

    /// Signs `payload` (nil for POST-as-GET) for `url` with `key`.
    ///
    /// The protected header holds `alg`, then `jwk` or `kid`, then `nonce` (omitted when nil,
    /// as in the inner JWS of a key change, RFC 8555 §7.3.5), then `url` (RFC 8555 §6.4).
    public static func sign(payload: [UInt8]?, url: String, nonce: String?, key: ACMEAccountKey, signer: Signer) throws -> JWS {
        var header = "{\"alg\":\"\(key.algorithm)\","
        switch signer {
        case .jwk: header += "\"jwk\":\(key.jwk.canonicalJSON),"
        case .kid(let kid): header += "\"kid\":\(jsonString(kid)),"
        }
        if let nonce { header += "\"nonce\":\(jsonString(nonce)),"}
        header += "\"url\":\(jsonString(url))}"
        let protected = Base64URL.encode(header)
        let encodedPayload = payload.map { Base64URL.encode($0) } ?? ""
        let input = Array(signingInput(protected: protected, payload: encodedPayload).utf8)
        return JWS(protected: protected, payload: encodedPayload, signature: Base64URL.encode(try key.sign(input)))
    }

    /// The JSON body to POST with `Content-Type: application/jose+json`.
    func encoded() throws -> [UInt8] {
        Array(try JSONEncoder.acme.encode(self))
    }
}

/// A JSON string literal for `value`, escaped as JSON requires.
func jsonString(_ value: String) -> String {
    let data = (try? JSONEncoder.acme.encode(value)) ?? Data("\"\"".utf8)
    return String(decoding: data, as: UTF8.self)
}

extension JSONEncoder {
    /// Sorted keys and unescaped slashes: stable bytes, readable URLs.
    static var acme: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
