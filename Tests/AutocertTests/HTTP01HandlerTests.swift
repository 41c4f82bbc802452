@testable import Autocert
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@Suite("http-01 handler")
struct HTTP01HandlerTests {
    /// Sends one request through the handler; returns the response head and body.
    func exchange(_ method: HTTPMethod, _ uri: String, host: String? = "example.test", answers: ChallengeAnswers, httpsPort: Int = 443) throws -> (HTTPResponseHead, String) {
        let channel = EmbeddedChannel(handler: HTTP01ChallengeHandler(answers: answers, httpsPort: httpsPort))
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: uri)
        if let host { head.headers.add(name: "Host", value: host) }
        try channel.writeInbound(HTTPServerRequestPart.head(head))
        try channel.writeInbound(HTTPServerRequestPart.end(nil))
        guard case .head(let response)? = try channel.readOutbound(as: HTTPServerResponsePart.self) else {
            throw FakeCAError(reason: "no response head")
        }
        var body = ""
        while let part = try channel.readOutbound(as: HTTPServerResponsePart.self) {
            if case .body(.byteBuffer(let buffer)) = part { body += String(buffer: buffer) }
        }
        _ = try? channel.finish()
        return (response, body)
    }

    @Test("a known token is answered with its key authorization (RFC 8555 §8.3)")
    func answersToken() throws {
        let answers = ChallengeAnswers()
        answers.setHTTP01(token: "tok-EN_1", keyAuthorization: "tok-EN_1.thumbprint")
        let (head, body) = try exchange(.GET, "/.well-known/acme-challenge/tok-EN_1", answers: answers)
        #expect(head.status == .ok)
        #expect(body == "tok-EN_1.thumbprint")
        #expect(head.headers.first(name: "Content-Type") == "text/plain")
    }

    @Test("an unknown token is 404")
    func unknownToken() throws {
        let (head, _) = try exchange(.GET, "/.well-known/acme-challenge/nope", answers: ChallengeAnswers())
        #expect(head.status == .notFound)
    }

    @Test("other GETs are redirected to HTTPS on the same host and path")
    func redirects() throws {
        let (head, _) = try exchange(.GET, "/a/b?c=d", host: "example.test:80", answers: ChallengeAnswers())
        #expect(head.status == .found)
        #expect(head.headers.first(name: "Location") == "https://example.test/a/b?c=d")
        let (other, _) = try exchange(.HEAD, "/", answers: ChallengeAnswers(), httpsPort: 8443)
        #expect(other.headers.first(name: "Location") == "https://example.test:8443/")
    }

    @Test("other methods and requests without a usable Host are refused")
    func refuses() throws {
        #expect(try exchange(.POST, "/", answers: ChallengeAnswers()).0.status == .badRequest)
        #expect(try exchange(.GET, "/", host: nil, answers: ChallengeAnswers()).0.status == .badRequest)
        #expect(try exchange(.GET, "/", host: "[::1", answers: ChallengeAnswers()).0.status == .badRequest)
        #expect(try exchange(.GET, "/", host: "not a host", answers: ChallengeAnswers()).0.status == .badRequest)
    }

    @Test("a request to an IP address (RFC 8738) is redirected to HTTPS on that address; IPv6 in brackets")
    func redirectsIPAddresses() throws {
        let (v4, _) = try exchange(.GET, "/x", host: "203.0.113.7:80", answers: ChallengeAnswers())
        #expect(v4.headers.first(name: "Location") == "https://203.0.113.7/x")
        let (v6, _) = try exchange(.GET, "/", host: "[::1]:80", answers: ChallengeAnswers(), httpsPort: 8443)
        #expect(v6.headers.first(name: "Location") == "https://[::1]:8443/")
    }
}
