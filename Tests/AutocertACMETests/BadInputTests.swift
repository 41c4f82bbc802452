import AutocertHTTP
import Foundation
import Testing
@testable import AutocertACME

/// What the client does with answers that are not what ACME promises.
@Suite("ACMEClient: answers that are not what ACME promises")
struct BadInputTests {
    static let account = ACMEAccount(url: "https://ca.test/acct/1", key: .generateP256(), resource: .init(status: .valid))

    func client(_ transport: FakeTransport) -> ACMEClient {
        var configuration = ACMEClient.Configuration()
        configuration.polling = ACMEPolling(minimumInterval: .milliseconds(10), maximumInterval: .milliseconds(50), timeout: .seconds(5))
        return ACMEClient(directoryURL: "https://ca.test/dir", transport: transport, configuration: configuration)
    }

    func expectError(_ code: ACMEError.Code, _ body: () async throws -> Void) async -> ACMEError? {
        do {
            try await body()
            Issue.record("no error, expected \(code)")
            return nil
        } catch let error as ACMEError {
            #expect(error.code == code, "\(error)")
            return error
        } catch {
            Issue.record("untyped error \(error)")
            return nil
        }
    }

    @Test("a directory URL answering HTML, a 404, other JSON or cut JSON is notACME, naming the URL", arguments: [
        FakeTransport.json(200, "<!doctype html><html><body>Welcome</body></html>", contentType: "text/html"),
        FakeTransport.json(404, "not here", contentType: "text/plain"),
        FakeTransport.json(200, "{\"hello\":\"world\"}"),
        FakeTransport.json(200, "{\"newNonce\":\"https://ca.test/nonce\",\"newAcc"),
    ])
    func aDirectoryURLThatIsNotACME(answer: HTTPResponse) async {
        let client = client(FakeTransport { _, _ in answer })
        let error = await expectError(.notACME) { _ = try await client.directory() }
        #expect(error?.reason.contains("https://ca.test/dir") == true)
    }

    @Test("a CA answering HTML is an invalid response that says HTML")
    func aCAThatAnswersHTML() async {
        let client = client(.ca { _, _ in FakeTransport.json(200, "<html><body>maintenance</body></html>", contentType: "text/html; charset=utf-8") })
        let error = await expectError(.invalidResponse) { _ = try await client.findAccount(key: .generateP256()) }
        #expect(error?.reason.contains("HTML") == true)
    }

    @Test("truncated JSON is an invalid response that says truncated")
    func truncatedJSON() async {
        let client = client(.ca { _, _ in
            FakeTransport.json(201, "{\"status\":\"valid\",\"contact\":[\"mailto:a@b", headers: [HTTPHeader(name: "Location", value: "https://ca.test/acct/1")])
        })
        let error = await expectError(.invalidResponse) { _ = try await client.createAccount(key: .generateP256(), termsOfServiceAgreed: true) }
        #expect(error?.reason.contains("truncated") == true)
    }

    @Test("a badNonce is retried with the nonce that came with it (RFC 8555 §6.5), a bounded number of times")
    func badNonceIsRetriedWithTheFreshNonceAndThenBounded() async throws {
        let badNonce = "{\"type\":\"urn:ietf:params:acme:error:badNonce\",\"detail\":\"JWS has an invalid anti-replay nonce\",\"status\":400}"
        let transport = FakeTransport.ca { _, index in
            index < 4 ? FakeTransport.json(400, badNonce, contentType: "application/problem+json")
                : FakeTransport.json(200, "{\"status\":\"valid\"}", headers: [HTTPHeader(name: "Location", value: "https://ca.test/acct/1")])
        }
        let recovering = client(transport)
        _ = try await recovering.findAccount(key: .generateP256())
        #expect(recovering.statistics.badNonceRetries == 2)
        // Each retry used the nonce of the badNonce answer before it (RFC 8555 §6.5).
        let nonces = try transport.requests.filter { $0.method == .post }.map(FakeTransport.nonce(of:))
        #expect(nonces == ["nonce-1", "nonce-r2", "nonce-r3"])

        let stubborn = FakeTransport.ca { _, _ in FakeTransport.json(400, badNonce, contentType: "application/problem+json") }
        let giving = client(stubborn)
        let error = await expectError(.badNonce) { _ = try await giving.findAccount(key: .generateP256()) }
        #expect(stubborn.requests.filter { $0.method == .post }.count == 5)
        #expect(error?.problem?.detail == "JWS has an invalid anti-replay nonce")
    }

    @Test("rateLimited carries its Retry-After and is not retried")
    func rateLimitedCarriesRetryAfterAndIsNotRetried() async {
        let transport = FakeTransport.ca { _, _ in
            FakeTransport.json(429, "{\"type\":\"urn:ietf:params:acme:error:rateLimited\",\"detail\":\"too many new orders\"}",
                               headers: [HTTPHeader(name: "Retry-After", value: "120")], contentType: "application/problem+json")
        }
        let error = await expectError(.rateLimited) { _ = try await client(transport).newOrder(for: ["a.example"], account: Self.account) }
        #expect(error?.retryAfter == .seconds(120))
        #expect(error?.status == 429)
        #expect(error?.problem?.detail == "too many new orders")
        #expect(transport.requests.filter { $0.method == .post }.count == 1)
    }

    @Test("a compound problem keeps its subproblems and their identifiers")
    func compoundProblemKeepsSubproblems() async {
        let body = """
            {"type":"urn:ietf:params:acme:error:malformed","detail":"Some identifiers were rejected","status":400,
             "subproblems":[{"type":"urn:ietf:params:acme:error:rejectedIdentifier","detail":"This CA will not issue for \\"bad.example\\"",
             "identifier":{"type":"dns","value":"bad.example"}}]}
            """
        let client = client(.ca { _, _ in FakeTransport.json(400, body, contentType: "application/problem+json") })
        let error = await expectError(.serverProblem) { _ = try await client.newOrder(for: ["ok.example", "bad.example"], account: Self.account) }
        #expect(error?.problemName == "malformed")
        #expect(error?.problem?.subproblems?.first?.identifier == .dns("bad.example"))
        #expect(error?.problem?.subproblems?.first?.isACMEError("rejectedIdentifier") == true)
        #expect(error?.description.contains("bad.example") == true)
    }

    @Test("an order that turns invalid stops the polling with orderFailed and the CA's detail")
    func anOrderThatTurnsInvalidStopsThePolling() async {
        let order = "{\"status\":\"invalid\",\"identifiers\":[{\"type\":\"dns\",\"value\":\"a.example\"}],\"authorizations\":[],\"finalize\":\"https://ca.test/fin\",\"error\":{\"type\":\"urn:ietf:params:acme:error:unauthorized\",\"detail\":\"no\"}}"
        let client = client(.ca { _, _ in FakeTransport.json(200, order) })
        let pending = ACMEOrder(url: "https://ca.test/order/1", resource: .init(status: .pending, identifiers: [.dns("a.example")], authorizations: [], finalize: "https://ca.test/fin"))
        let error = await expectError(.orderFailed) { _ = try await client.waitForOrder(pending, account: Self.account) }
        #expect(error?.problem?.detail == "no")
    }

    @Test("Link rel=alternate headers and an HTTP-date Retry-After are read")
    func headerParsing() {
        let response = HTTPResponse(status: 200, headers: [
            HTTPHeader(name: "Link", value: "<https://ca.test/cert/1/1>;rel=\"alternate\", <https://ca.test/dir>;rel=\"index\""),
            HTTPHeader(name: "link", value: "<https://ca.test/cert/1/2>; rel=alternate"),
            HTTPHeader(name: "Retry-After", value: "Wed, 21 Oct 2015 07:28:00 GMT"),
        ], body: [], url: "")
        #expect(ACMEResponse.links(response, rel: "alternate") == ["https://ca.test/cert/1/1", "https://ca.test/cert/1/2"])
        let now = Date(timeIntervalSince1970: 1_445_412_400)  // 07:26:40 GMT
        #expect(ACMEResponse.retryAfter(response, now: now) == .seconds(80))
    }
}
