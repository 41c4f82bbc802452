import Crypto
import _CryptoExtras
import Foundation

/// A key that signs ACME requests: an account key, or a certificate key for revocation.
///
/// ES256 on P-256 is the default (RFC 7518 §3.4); RS256 (RFC 7518 §3.3) is accepted for
/// RSA keys imported from other clients.
public struct ACMEAccountKey: Sendable {
    enum Backing: Sendable {
        case p256(P256.Signing.PrivateKey)
        case rsa(_RSA.Signing.PrivateKey)
    }
    let backing: Backing
    /// The public key as a JWK with only its required members (RFC 7638 §3.2).
    public let jwk: JWK

    /// Wraps a P-256 key (signs ES256).
    public init(_ key: P256.Signing.PrivateKey) {
        backing = .p256(key)
        let raw = Array(key.publicKey.rawRepresentation)  // x || y, 32 bytes each
        jwk = .ec(crv: "P-256", x: Base64URL.encode(raw[0..<32]), y: Base64URL.encode(raw[32..<64]))
    }

    /// Wraps an RSA key of at least 2048 bits (signs RS256).
    public init(_ key: _RSA.Signing.PrivateKey) throws {
        guard key.keySizeInBits >= 2048 else {
            throw ACMEError(.invalidInput, "an RSA account key must have at least 2048 bits, this one has \(key.keySizeInBits)")
        }
        let components = try key.publicKey.getKeyPrimitives()
        backing = .rsa(key)
        jwk = .rsa(n: Base64URL.encode(stripLeadingZeros(Array(components.modulus))),
                   e: Base64URL.encode(stripLeadingZeros(Array(components.publicExponent))))
    }

    /// A fresh P-256 key.
    public static func generateP256() -> ACMEAccountKey { ACMEAccountKey(P256.Signing.PrivateKey()) }

    /// Reads a PEM private key: P-256 (SEC 1 or PKCS #8) or RSA (PKCS #1 or PKCS #8).
    public init(pemRepresentation pem: String) throws {
        if let key = try? P256.Signing.PrivateKey(pemRepresentation: pem) {
            self.init(key)
        } else if let key = try? _RSA.Signing.PrivateKey(pemRepresentation: pem) {
            try self.init(key)
        } else {
            throw ACMEError(.invalidInput, "the PEM text is neither a P-256 nor an RSA private key")
        }
    }

    /// The key as PEM (PKCS #8), for storing beside the account URL.
    public var pemRepresentation: String {
        switch backing {
        case .p256(let key): key.pemRepresentation
        case .rsa(let key): key.pemRepresentation
        }
    }

    /// The JWS `alg` this key signs with.
    public var algorithm: String {
        switch backing {
        case .p256: "ES256"
        case .rsa: "RS256"
        }
    }

    /// Signs the JWS signing input: ES256 as r || s (RFC 7518 §3.4), RS256 as PKCS #1 v1.5.
    public func sign(_ input: [UInt8]) throws -> [UInt8] {
        switch backing {
        case .p256(let key):
            return Array(try key.signature(for: input).rawRepresentation)
        case .rsa(let key):
            return Array(try key.signature(for: input, padding: .insecurePKCS1v1_5).rawRepresentation)
        }
    }
}

private func stripLeadingZeros(_ bytes: [UInt8]) -> [UInt8] {
    let trimmed = bytes.drop { $0 == 0 }
    return trimmed.isEmpty ? [0] : Array(trimmed)
}
