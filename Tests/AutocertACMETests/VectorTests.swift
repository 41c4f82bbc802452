import Crypto
import _CryptoExtras
import Foundation
import Testing
@testable import AutocertACME

/// Fixed vectors from the RFCs for the JOSE pieces of ACME.
@Suite("JOSE pieces of ACME against fixed vectors from the RFCs")
struct VectorTests {
    // RFC 7638 §3.1: the example RSA key and its thumbprint.
    static let rfc7638Modulus = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
    static let rfc7638Thumbprint = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"

    // RFC 7515 Appendix A.3: the ES256 example.
    static let a3X = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"
    static let a3Y = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"
    static let a3D = "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"
    static let a3Payload = "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}"
    static let a3SigningInput = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    static let a3Signature = "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q"

    @Test("the RFC 7638 §3.1 example key has the RFC's canonical JSON and thumbprint")
    func thumbprintOfTheRFC7638Example() {
        let jwk = JWK.rsa(n: Self.rfc7638Modulus, e: "AQAB")
        #expect(jwk.canonicalJSON == "{\"e\":\"AQAB\",\"kty\":\"RSA\",\"n\":\"\(Self.rfc7638Modulus)\"}")
        #expect(jwk.thumbprint == Self.rfc7638Thumbprint)
    }

    @Test("an RSA public key made from the RFC 7638 §3.1 modulus gives that modulus back")
    func rsaKeyFromTheRFC7638ModulusHasTheRFCThumbprint() throws {
        let modulus = try #require(Base64URL.decode(Self.rfc7638Modulus))
        let publicKey = try _RSA.Signing.PublicKey(n: modulus, e: [0x01, 0x00, 0x01])
        let primitives = try publicKey.getKeyPrimitives()
        #expect(Base64URL.encode(Array(primitives.modulus).drop { $0 == 0 }) == Self.rfc7638Modulus)
    }

    @Test("the RFC 7515 A.3 signing input is reproduced, and the RFC's signature and ours both verify")
    func jwsSigningInputAndSignatureOfRFC7515A3() throws {
        let protected = Base64URL.encode("{\"alg\":\"ES256\"}")
        let payload = Base64URL.encode(Self.a3Payload)
        #expect(JWS.signingInput(protected: protected, payload: payload) == Self.a3SigningInput)

        let d = try #require(Base64URL.decode(Self.a3D))
        let key = try P256.Signing.PrivateKey(rawRepresentation: d)
        let accountKey = ACMEAccountKey(key)
        #expect(accountKey.jwk == .ec(crv: "P-256", x: Self.a3X, y: Self.a3Y))
        // The RFC's signature verifies as raw r || s over the signing input...
        let rfcSignature = try P256.Signing.ECDSASignature(rawRepresentation: try #require(Base64URL.decode(Self.a3Signature)))
        #expect(key.publicKey.isValidSignature(rfcSignature, for: Array(Self.a3SigningInput.utf8)))
        // ...and so does ours (ECDSA is randomized, so compare by verification).
        let ours = try accountKey.sign(Array(Self.a3SigningInput.utf8))
        #expect(ours.count == 64)
        #expect(key.publicKey.isValidSignature(try P256.Signing.ECDSASignature(rawRepresentation: ours), for: Array(Self.a3SigningInput.utf8)))
    }

    @Test("key authorization, tls-alpn-01 digest and dns-01 TXT value match values computed with openssl (RFC 8555 §8.1, §8.3, §8.4)")
    func keyAuthorizationAndTLSALPNDigest() throws {
        // RFC 8555 §8.1 with the RFC 8555 §8.3 example token and the RFC 7638 key's thumbprint.
        let token = "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"
        let modulus = try #require(Base64URL.decode(Self.rfc7638Modulus))
        #expect(modulus.count == 256)
        let expected = "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA.NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        #expect(token + "." + JWK.rsa(n: Self.rfc7638Modulus, e: "AQAB").thumbprint == expected)
        // SHA-256 of that key authorization, computed independently with `openssl dgst -sha256`.
        let digest = ACMEChallenge.tlsALPN01Digest(keyAuthorization: expected)
        #expect(digest.map { String(format: "%02x", $0) }.joined() == "653471d42925d7eb4cd39a39cda8b34d3034c94cb90067ab78c8123560ba2e5f")

        // dns-01 (RFC 8555 §8.4): the same digest, base64url, computed with openssl too.
        #expect(ACMEChallenge.dns01TXTValue(keyAuthorization: expected) == "ZTRx1Ckl1-tM05o5zaizTTA0yUy5AGereMgSNWC6Ll8")
        #expect(ACMEChallenge.dns01RecordName(for: "www.example.org") == "_acme-challenge.www.example.org")

        let key = ACMEAccountKey.generateP256()
        let challenge = ACMEChallenge(type: ACMEChallenge.http01, url: "https://ca/chal", status: .pending, token: token)
        #expect(try challenge.keyAuthorization(for: key) == token + "." + key.jwk.thumbprint)
        #expect(challenge.http01Path == "/.well-known/acme-challenge/" + token)
    }

    @Test("base64url round-trips without padding, and standard base64 is refused")
    func base64URLRoundTripsWithoutPadding() {
        let bytes: [UInt8] = [0xfb, 0xff, 0xfe, 0x00, 0x01]
        #expect(Base64URL.encode(bytes) == "-__-AAE")
        #expect(Base64URL.decode("-__-AAE") == bytes)
        #expect(Base64URL.decode("+//+AAE=") == nil)
    }
}
