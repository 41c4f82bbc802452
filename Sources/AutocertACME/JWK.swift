import Crypto
import Foundation

/// A public JSON Web Key (RFC 7517) with only the members RFC 7638 §3.2 requires.
public struct JWK: Sendable, Hashable {
    /// `EC` or `RSA`.
    public let kty: String
    let members: [(String, String)]

    /// An elliptic-curve key (RFC 7518 §6.2.1).
    public static func ec(crv: String, x: String, y: String) -> JWK {
        JWK(kty: "EC", members: [("crv", crv), ("kty", "EC"), ("x", x), ("y", y)])
    }

    /// An RSA key (RFC 7518 §6.3.1): modulus and exponent, base64url big-endian.
    public static func rsa(n: String, e: String) -> JWK {
        JWK(kty: "RSA", members: [("e", e), ("kty", "RSA"), ("n", n)])
    }

    /// The members in lexicographic order, no whitespace: the canonical form of RFC 7638 §3.3.
    /// The values are base64url or fixed names, so no JSON escaping is needed.
    public var canonicalJSON: String {
        "{" + members.map { "\"\($0.0)\":\"\($0.1)\"" }.joined(separator: ",") + "}"
    }

    /// The SHA-256 thumbprint, base64url (RFC 7638 §3; RFC 8555 §8.1 uses it in key authorizations).
    public var thumbprint: String {
        Base64URL.encode(SHA256.hash(data: Array(canonicalJSON.utf8)))
    }

    public static func == (lhs: JWK, rhs: JWK) -> Bool { lhs.canonicalJSON == rhs.canonicalJSON }
    public func hash(into hasher: inout Hasher) { hasher.combine(canonicalJSON) }
}
