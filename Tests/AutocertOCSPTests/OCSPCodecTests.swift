@_spi(OCSPWire) @testable import AutocertOCSP
import Foundation
import SwiftASN1
import Testing

/// Round trips of our ASN.1 types, byte-exact where DER fixes the encoding.
@Suite("OCSP ASN.1 codec")
struct OCSPCodecTests {
    let authority: TestAuthority
    let subject: OCSPSubject

    init() throws {
        authority = try TestAuthority()
        subject = try OCSPSubject(certificate: authority.issue("leaf.test").certificate, issuer: authority.certificate)
    }

    @Test("a request round-trips byte-exact, its CertID hashes as long as the algorithm's digest", arguments: OCSPHashAlgorithm.allCases)
    func requestRoundTripsByteExact(hash: OCSPHashAlgorithm) throws {
        let request = subject.request(hash: hash, nonce: Array(repeating: 0xAB, count: 16))
        let der = try request.derBytes()
        let parsed = try OCSPRequest(derBytes: der)
        #expect(parsed == request)
        #expect(try parsed.derBytes() == der)
        let certID = try #require(parsed.tbsRequest.requestList.first?.certID)
        #expect(certID.issuerNameHash.count == hash.digestLength)
        #expect(certID.issuerKeyHash.count == hash.digestLength)
    }

    /// RFC 5019 §2.1.1 wants hashAlgorithm with NULL parameters; the exact DER is fixed.
    @Test("the CertID hash algorithm is SHA-1 with NULL parameters, in exactly that DER (RFC 5019 §2.1.1)")
    func certIDAlgorithmIdentifierIsSHA1WithNull() throws {
        var coder = DER.Serializer()
        try coder.serialize(subject.certID().hashAlgorithm)
        #expect(coder.serializedBytes == [0x30, 0x09, 0x06, 0x05, 0x2B, 0x0E, 0x03, 0x02, 0x1A, 0x05, 0x00])
    }

    @Test("a response with a revoked status, a certificate and a nonce round-trips byte-exact")
    func responseRoundTripsByteExact() throws {
        var builder = ResponseBuilder(subject: subject, authority: authority)
        builder.status = .revoked(time: GeneralizedTime(Date() - 60), reason: .superseded)
        builder.certificates = [authority.certificate]
        builder.responseExtensions = [.nonce([1, 2, 3])]
        let der = try builder.build()
        let parsed = try OCSPResponse(derBytes: der)
        #expect(try parsed.derBytes() == der)
        let basic = try #require(try parsed.responseBytes?.basicResponse())
        #expect(basic.certificates?.count == 1)
        #expect(basic.responseData.responses.first?.certStatus == builder.status)
    }

    @Test("a response followed by a trailing byte is refused as malformed")
    func trailingBytesAreRefused() throws {
        let der = try ResponseBuilder(subject: subject, authority: authority).build()
        let error = #expect(throws: OCSPError.self) { try OCSPResponse(derBytes: der + [0x00]) }
        #expect(error?.code == .malformedResponse)
    }

    @Test("a response cut short is refused as malformed", arguments: [1, 10, 100, 200])
    func truncatedResponsesAreRefused(cut: Int) throws {
        let der = try ResponseBuilder(subject: subject, authority: authority).build()
        let error = #expect(throws: OCSPError.self) { try OCSPResponse(derBytes: der.dropLast(cut)) }
        #expect(error?.code == .malformedResponse)
    }

    /// A length field claiming far more bytes than exist (0x84 = four length octets).
    @Test("a length field claiming far more bytes than exist, or an indefinite length, is refused")
    func absurdLengthsAreRefused() throws {
        let bogus: [UInt8] = [0x30, 0x84, 0x7F, 0xFF, 0xFF, 0xFF, 0x0A, 0x01, 0x00]
        let error = #expect(throws: OCSPError.self) { try OCSPResponse(derBytes: bogus) }
        #expect(error?.code == .malformedResponse)
        let indefinite: [UInt8] = [0x30, 0x80, 0x0A, 0x01, 0x00, 0x00, 0x00]
        #expect(throws: OCSPError.self) { try OCSPResponse(derBytes: indefinite) }
    }

    @Test("each unsuccessful response status is an error with its own code", arguments: [
        (OCSPResponseStatus.malformedRequest, OCSPError.Code.malformedRequest),
        (.internalError, .internalError), (.tryLater, .tryLater),
        (.sigRequired, .sigRequired), (.unauthorized, .unauthorized),
    ])
    func errorStatusesAreDistinctErrors(status: OCSPResponseStatus, code: OCSPError.Code) throws {
        let der = try OCSPResponse(responseStatus: status, responseBytes: nil).derBytes()
        let error = #expect(throws: OCSPError.self) { try OCSPVerifier(subject: subject).verify(der) }
        #expect(error?.code == code)
    }

    @Test("a response type other than the basic one is refused as unsupported")
    func nonBasicResponseTypeIsRefused() throws {
        let bytes = OCSPResponseBytes(responseType: [1, 2, 3, 4], response: [0x05, 0x00])
        let der = try OCSPResponse(responseStatus: .successful, responseBytes: bytes).derBytes()
        let error = #expect(throws: OCSPError.self) { try OCSPVerifier(subject: subject).verify(der) }
        #expect(error?.code == .unsupportedResponseType)
    }

    @Test("GeneralizedTime converts to and from Date without loss")
    func generalizedTimeConversionRoundTrips() throws {
        for seconds in [0.0, 951_782_400, 1_700_000_000, 4_102_444_800] {
            let date = Date(timeIntervalSince1970: seconds)
            #expect(Date(GeneralizedTime(date)) == date)
        }
    }
}

/// RFC 5019 §5: GET for small requests, POST otherwise, with the right content types.
@Suite("OCSP HTTP request shape")
struct OCSPHTTPShapeTests {
    @Test("a small request is sent by GET as percent-encoded base64 in one path segment")
    func smallRequestIsSentByGetWithPercentEncodedBase64() throws {
        let der: [UInt8] = Array(repeating: 0xFB, count: 60)  // base64 full of '+' and '/'
        let request = OCSPClient.httpRequest(for: der, url: "http://ocsp.example/")
        #expect(request.method == .get)
        #expect(request.url.hasPrefix("http://ocsp.example/"))
        #expect(!request.url.dropFirst("http://ocsp.example/".count).contains("/"))
        #expect(!request.url.contains("+"))
        let encoded = String(request.url.dropFirst("http://ocsp.example/".count)).removingPercentEncoding
        #expect(encoded.flatMap { Data(base64Encoded: $0) }.map(Array.init) == der)
    }

    @Test("a request whose base64 is over 255 bytes goes by POST as application/ocsp-request; at 252 it still goes by GET")
    func requestWhoseBase64ExceedsTwoHundredFiftyFiveBytesIsPosted() throws {
        let fits = [UInt8](repeating: 1, count: 191)  // 256 base64 characters
        let justFits = [UInt8](repeating: 1, count: 189)  // 252
        #expect(OCSPClient.httpRequest(for: justFits, url: "http://o.example").method == .get)
        let post = OCSPClient.httpRequest(for: fits, url: "http://o.example")
        #expect(post.method == .post)
        #expect(post.body == fits)
        #expect(post.headers.contains { $0.name == "Content-Type" && $0.value == "application/ocsp-request" })
    }

    @Test("Cache-Control max-age and Retry-After in seconds are read, other values ignored")
    func maxAgeAndRetryAfterAreRead() {
        #expect(OCSPClient.maxAge("public, max-age=3600, no-transform") == .seconds(3600))
        #expect(OCSPClient.maxAge("no-cache") == nil)
        #expect(OCSPClient.retryAfter("120") == .seconds(120))
        #expect(OCSPClient.retryAfter("soon") == nil)
    }

    /// RFC 7468 §2: OpenSSL's D3_Cert_EE.pem has trailing blanks; CRLF and long lines occur too.
    @Test("certificateDERs(inPEM:) reads PEM laxly, and refuses a damaged or cut block")
    func certificateDERsReadsPEMLaxly() throws {
        let der = try VectorFixtures.certificateDERs("openssl/D3_Cert_EE.pem")
        #expect(try OCSPSubject.certificateDERs(inPEM: VectorFixtures.text("openssl/D3_Cert_EE.pem")) == der)
        let oneLine = "junk before\r\n-----BEGIN CERTIFICATE-----\r\n" + Data(der[0]).base64EncodedString() + "  \r\n-----END CERTIFICATE-----\r\n"
        #expect(try OCSPSubject.certificateDERs(inPEM: oneLine) == der)
        #expect(try OCSPSubject.certificateDERs(inPEM: "no PEM here").isEmpty)
        #expect(throws: OCSPError.self) { try OCSPSubject.certificateDERs(inPEM: "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n") }
        #expect(throws: OCSPError.self) { try OCSPSubject.certificateDERs(inPEM: "-----BEGIN CERTIFICATE-----\nMIIB\n") }
    }
}
