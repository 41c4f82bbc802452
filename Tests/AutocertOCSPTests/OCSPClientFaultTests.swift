import AutocertCurl
import AutocertHTTP
@_spi(OCSPWire) import AutocertOCSP
import AutocertTestSupport
import Foundation
import Testing

/// Bad answers from a misbehaving responder on 127.0.0.1: each ends in a clear error,
/// never a crash and never a "good".
@Suite("OCSPClient fault injection", .serialized)
struct OCSPClientFaultTests {
    let authority: TestAuthority
    let subject: OCSPSubject

    init() throws {
        authority = try TestAuthority()
        subject = try OCSPSubject(certificate: authority.issue("leaf.test").certificate, issuer: authority.certificate)
    }

    private func goodResponse() throws -> [UInt8] { try ResponseBuilder(subject: subject, authority: authority).build() }

    private static func ocsp(_ body: [UInt8], status: Int = 200, contentType: String = "application/ocsp-response", extra: [(String, String)] = []) -> LoopbackHTTPServer.Reply {
        .respond(status: status, headers: [("Content-Type", contentType)] + extra, body: body)
    }

    /// Checks against a server that always replies `reply`; returns the error.
    private func failure(_ reply: LoopbackHTTPServer.Reply, timeout: Duration = .seconds(10)) async throws -> OCSPError? {
        let server = try LoopbackHTTPServer { _ in reply }
        defer { server.stop() }
        let client = OCSPClient(transport: .curl, configuration: .init(timeout: timeout))
        return await #expect(throws: OCSPError.self) { try await client.check(subject, responderURL: server.url) }
    }

    @Test("a good response fetched by GET verifies, and its Cache-Control max-age is reported")
    func servedGoodResponseVerifiesAndReportsMaxAge() async throws {
        let server = try LoopbackHTTPServer { [body = try goodResponse()] _ in
            Self.ocsp(body, extra: [("Cache-Control", "max-age=600, public")])
        }
        defer { server.stop() }
        let answer = try await OCSPClient(transport: .curl).check(subject, responderURL: server.url + "/ocsp")
        #expect(answer.status == .good)
        #expect(answer.maxAge == .seconds(600))
        #expect(server.requests.first?.method == "GET")
        #expect(server.requests.first?.path.hasPrefix("/ocsp/") == true)
    }

    @Test("a responder that is down is a transportFailed error")
    func responderDown() async throws {
        let port = try FreePort.allocate()
        let error = await #expect(throws: OCSPError.self) { try await OCSPClient(transport: .curl).check(subject, responderURL: "http://127.0.0.1:\(port)") }
        #expect(error?.code == .transportFailed)
    }

    @Test("a responder that hangs ends in timedOut at the deadline, within seconds")
    func slowResponderHitsTheDeadline() async throws {
        let started = ContinuousClock.now
        let error = try await failure(.hang, timeout: .milliseconds(500))
        #expect(error?.code == .timedOut)
        #expect(error?.reason.contains("no complete response") == true)
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test("a 503 or a 500 is an httpStatus error, and the 503's Retry-After is carried along")
    func http500WithRetryAfter() async throws {
        let error = try await failure(.respond(status: 503, headers: [("Retry-After", "90")], body: Array("busy".utf8)))
        #expect(error?.code == .httpStatus)
        #expect(error?.retryAfter == .seconds(90))
        #expect(try await failure(.respond(status: 500, headers: [], body: []))?.code == .httpStatus)
    }

    @Test("an HTML page with status 200 is a wrong content type, and malformed when labelled as OCSP")
    func htmlPageWithStatus200() async throws {
        let html = Array("<html><body>Sign in to the Wi-Fi</body></html>".utf8)
        #expect(try await failure(Self.ocsp(html, contentType: "text/html"))?.code == .wrongContentType)
        // Even labelled as OCSP, HTML is not DER.
        #expect(try await failure(Self.ocsp(html))?.code == .malformedResponse)
    }

    @Test("a valid response with the wrong Content-Type is refused")
    func wrongContentTypeOnAValidResponse() async throws {
        #expect(try await failure(Self.ocsp(goodResponse(), contentType: "application/octet-stream"))?.code == .wrongContentType)
    }

    @Test("truncated DER and DER with trailing bytes are malformed")
    func truncatedAndTrailingDER() async throws {
        let der = try goodResponse()
        #expect(try await failure(Self.ocsp(Array(der.dropLast(17))))?.code == .malformedResponse)
        #expect(try await failure(Self.ocsp(der + [0x30, 0x00]))?.code == .malformedResponse)
    }

    @Test("a DER length field claiming about 4 GiB is malformed")
    func absurdLengthField() async throws {
        #expect(try await failure(Self.ocsp([0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xF0, 0x0A, 0x01, 0x00]))?.code == .malformedResponse)
    }

    @Test("a connection closed without an answer is a transportFailed error")
    func connectionClosedWithoutAnswer() async throws {
        #expect(try await failure(.close)?.code == .transportFailed)
    }

    @Test("a 200 KiB body is cut off at the cap with a transportFailed error")
    func oversizedBodyIsCutOff() async throws {
        let huge = [UInt8](repeating: 0x30, count: 200 * 1024)
        let error = try await failure(Self.ocsp(huge))
        #expect(error?.code == .transportFailed)
        #expect(error?.reason.contains("cap") == true)
    }

    @Test("a response for another serial number is noMatchingResponse")
    func responseForAnotherSerial() async throws {
        var builder = ResponseBuilder(subject: subject, authority: authority)
        builder.certID.serialNumber = [0x42]
        #expect(try await failure(Self.ocsp(builder.build()))?.code == .noMatchingResponse)
    }

    @Test("a response past its nextUpdate is expired, one whose thisUpdate is a day ahead is not yet valid")
    func staleAndFutureResponses() async throws {
        var stale = ResponseBuilder(subject: subject, authority: authority)
        stale.thisUpdate = Date() - 86_400 * 3
        stale.nextUpdate = Date() - 86_400
        #expect(try await failure(Self.ocsp(stale.build()))?.code == .expired)
        var future = ResponseBuilder(subject: subject, authority: authority)
        future.thisUpdate = Date() + 86_400
        #expect(try await failure(Self.ocsp(future.build()))?.code == .notYetValid)
    }

    @Test("a tryLater response status is a tryLater error")
    func tryLaterStatus() async throws {
        let der = try OCSPResponse(responseStatus: .tryLater, responseBytes: nil).derBytes()
        #expect(try await failure(Self.ocsp(der))?.code == .tryLater)
    }

    @Test("redirects are followed at most twice: one hop reaches the answer, a loop fails after three requests")
    func redirectsAreFollowedTwiceAtMost() async throws {
        let target = try LoopbackHTTPServer { [body = try goodResponse()] _ in Self.ocsp(body) }
        defer { target.stop() }
        let hop = try LoopbackHTTPServer { _ in .respond(status: 302, headers: [("Location", target.url + "/")], body: []) }
        defer { hop.stop() }
        #expect(try await OCSPClient(transport: .curl).check(subject, responderURL: hop.url).status == .good)

        let loop = try LoopbackHTTPServer { request in .respond(status: 302, headers: [("Location", "/again\(request.path.count)")], body: []) }
        defer { loop.stop() }
        let error = await #expect(throws: OCSPError.self) { try await OCSPClient(transport: .curl).check(subject, responderURL: loop.url) }
        #expect(error?.code == .transportFailed)
        #expect(loop.requests.count == 3)
    }

    @Test("a certificate without an OCSP responder URL fails with noResponderURL")
    func certificateWithoutResponderURL() async throws {
        let bare = try OCSPSubject(certificate: authority.issue("bare.test", ocspURL: nil).certificate, issuer: authority.certificate)
        let error = await #expect(throws: OCSPError.self) { try await OCSPClient(transport: .curl).check(bare) }
        #expect(error?.code == .noResponderURL)
    }

    @Test("a large request (SHA-512 CertID and a nonce) is sent by POST as application/ocsp-request")
    func largeRequestsArePosted() async throws {
        let server = try LoopbackHTTPServer { [body = try goodResponse()] _ in Self.ocsp(body) }
        defer { server.stop() }
        let client = OCSPClient(transport: .curl, configuration: .init(hashAlgorithm: .sha512, sendNonce: true))
        // The response carries no nonce, so it is refused; what matters here is the method.
        _ = try? await client.check(subject, responderURL: server.url)
        let request = try #require(server.requests.first)
        #expect(request.method == "POST")
        #expect(request.headers["content-type"] == "application/ocsp-request")
        #expect(try OCSPRequest(derBytes: request.body).tbsRequest.requestList.first?.certID == subject.certID(hash: .sha512))
    }
}
