import Crypto
import _CryptoExtras
import Foundation
import Testing
@testable import AutocertACME

@Suite("JWS: signing ACME requests")
struct JWSTests {
    func header(_ jws: JWS) throws -> [String: Any] {
        let data = Data(try #require(Base64URL.decode(jws.protected)))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test("a JWS carries the jwk before registration and the kid after; POST-as-GET has an empty payload (RFC 8555 §6.3)")
    func jwkBeforeRegistrationKidAfter() throws {
        let key = ACMEAccountKey.generateP256()
        let first = try JWS.sign(payload: Array("{}".utf8), url: "https://ca/new-acct", nonce: "n1", key: key, signer: .jwk)
        let h1 = try header(first)
        #expect(h1["alg"] as? String == "ES256")
        #expect(h1["nonce"] as? String == "n1")
        #expect(h1["url"] as? String == "https://ca/new-acct")
        #expect(h1["kid"] == nil)
        let jwk = try #require(h1["jwk"] as? [String: String])
        let expected = try JSONSerialization.jsonObject(with: Data(key.jwk.canonicalJSON.utf8)) as? [String: String]
        #expect(jwk == expected)
        #expect(jwk["crv"] == "P-256" && jwk["kty"] == "EC")

        let later = try JWS.sign(payload: nil, url: "https://ca/order/1", nonce: "n2", key: key, signer: .kid("https://ca/acct/7"))
        let h2 = try header(later)
        #expect(h2["kid"] as? String == "https://ca/acct/7")
        #expect(h2["jwk"] == nil)
        #expect(later.payload == "")  // POST-as-GET, RFC 8555 §6.3
    }

    @Test("an imported RSA account key signs with RS256")
    func rs256ForImportedRSAKeys() throws {
        let rsa = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let key = try ACMEAccountKey(pemRepresentation: rsa.pemRepresentation)
        #expect(key.algorithm == "RS256")
        let jws = try JWS.sign(payload: Array("{}".utf8), url: "https://ca/x", nonce: "n", key: key, signer: .jwk)
        let signature = _RSA.Signing.RSASignature(rawRepresentation: try #require(Base64URL.decode(jws.signature)))
        #expect(rsa.publicKey.isValidSignature(signature, for: Array(jws.signingInput.utf8), padding: .insecurePKCS1v1_5))
        #expect(try header(jws)["alg"] as? String == "RS256")
    }

    @Test("external account binding is HS256 over the account JWK, with no nonce")
    func externalAccountBindingIsHS256OverTheAccountJWK() throws {
        let key = ACMEAccountKey.generateP256()
        let eab = try ExternalAccountBinding(keyID: "kid-1", base64URLMACKey: "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W")
        let jws = eab.jws(for: key, newAccountURL: "https://ca/new-acct")
        let h = try header(jws)
        #expect(h["alg"] as? String == "HS256")
        #expect(h["kid"] as? String == "kid-1")
        #expect(h["url"] as? String == "https://ca/new-acct")
        #expect(h["nonce"] == nil)
        #expect(Base64URL.decode(jws.payload) == Array(key.jwk.canonicalJSON.utf8))
        let valid = HMAC<SHA256>.isValidAuthenticationCode(try #require(Base64URL.decode(jws.signature)), authenticating: Array(jws.signingInput.utf8),
                                                            using: SymmetricKey(data: eab.macKey))
        #expect(valid)
    }

    @Test("an account key round-trips through PEM, and anything else is refused")
    func accountKeyPEMRoundTrip() throws {
        let key = ACMEAccountKey.generateP256()
        let again = try ACMEAccountKey(pemRepresentation: key.pemRepresentation)
        #expect(again.jwk == key.jwk)
        #expect(throws: ACMEError.self) { try ACMEAccountKey(pemRepresentation: "not a key") }
    }
}
