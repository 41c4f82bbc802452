import AutocertCurl
import AutocertHTTP
import AutocertTestSupport
import Foundation
import Synchronization
import Testing

/// The libcurl transport against a scriptable server on 127.0.0.1.
@Suite("CurlTransport")
struct CurlTransportTests {
    let transport = CurlTransport()

    @Test("a GET sends its headers and path, and returns status, headers and body")
    func getReturnsStatusHeadersAndBody() async throws {
        let server = try LoopbackHTTPServer { request in
            .respond(status: 200, headers: [("X-Echo", request.headers["x-test"] ?? "")], body: Array("hello".utf8))
        }
        defer { server.stop() }
        let response = try await transport.send(
            HTTPRequest(method: .get, url: server.url + "/path", headers: [HTTPHeader(name: "X-Test", value: "42")]), limits: HTTPLimits())
        #expect(response.status == 200)
        #expect(response.body == Array("hello".utf8))
        #expect(response.header("x-echo") == "42")
        #expect(server.requests.first?.path == "/path")
    }

    @Test("a POST sends its body, and an error status is returned, not thrown")
    func postSendsTheBodyAndErrorStatusesAreReturnedNotThrown() async throws {
        let server = try LoopbackHTTPServer { request in .respond(status: 500, headers: [], body: request.body) }
        defer { server.stop() }
        let body = [UInt8](repeating: 7, count: 100_000)
        let response = try await transport.send(HTTPRequest(method: .post, url: server.url, body: body), limits: HTTPLimits(maxBodyBytes: 200_000))
        #expect(response.status == 500)
        #expect(response.body == body)
        #expect(server.requests.first?.method == "POST")
    }

    @Test("the body cap is enforced with and without a Content-Length")
    func bodyCapIsEnforcedWithAndWithoutContentLength() async throws {
        let big = [UInt8](repeating: 1, count: 10_000)
        let declared = try LoopbackHTTPServer { _ in .respond(status: 200, headers: [], body: big) }
        defer { declared.stop() }
        let error = await #expect(throws: HTTPTransportError.self) {
            try await transport.send(HTTPRequest(method: .get, url: declared.url), limits: HTTPLimits(maxBodyBytes: 1_000))
        }
        #expect(error?.code == .bodyTooLarge)
        // No Content-Length: the cap is enforced while the body streams in.
        let streamed = try LoopbackHTTPServer { _ in .raw(Array("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".utf8) + big) }
        defer { streamed.stop() }
        let second = await #expect(throws: HTTPTransportError.self) {
            try await transport.send(HTTPRequest(method: .get, url: streamed.url), limits: HTTPLimits(maxBodyBytes: 1_000))
        }
        #expect(second?.code == .bodyTooLarge)
    }

    @Test("the deadline ends a hanging exchange with timedOut")
    func deadlineEndsAHangingExchange() async throws {
        let server = try LoopbackHTTPServer { _ in .hang }
        defer { server.stop() }
        let started = ContinuousClock.now
        let error = await #expect(throws: HTTPTransportError.self) {
            try await transport.send(HTTPRequest(method: .get, url: server.url), limits: HTTPLimits(timeout: .milliseconds(300)))
        }
        #expect(error?.code == .timedOut)
        #expect(ContinuousClock.now - started < .seconds(3))
    }

    @Test("cancelling the task ends a hanging request promptly with cancelled")
    func cancellationEndsTheRequestPromptly() async throws {
        let server = try LoopbackHTTPServer { _ in .hang }
        defer { server.stop() }
        let task = Task { try await transport.send(HTTPRequest(method: .get, url: server.url), limits: HTTPLimits(timeout: .seconds(30))) }
        try await Poll.until("the request to arrive") { !server.requests.isEmpty }
        let started = ContinuousClock.now
        task.cancel()
        let error = await #expect(throws: HTTPTransportError.self) { try await task.value }
        #expect(error?.code == .cancelled)
        #expect(ContinuousClock.now - started < .seconds(2))
    }

    @Test("only http and https URLs are allowed, and a redirect may not lead elsewhere")
    func onlyHTTPAndHTTPSAreAllowed() async throws {
        for url in ["file:///etc/passwd", "ftp://127.0.0.1/", "not a url"] {
            let error = await #expect(throws: HTTPTransportError.self) { try await transport.send(HTTPRequest(method: .get, url: url), limits: HTTPLimits()) }
            #expect(error?.code == .invalidURL)
        }
        // Nor may a redirect lead elsewhere.
        let server = try LoopbackHTTPServer { _ in .respond(status: 302, headers: [("Location", "file:///etc/passwd")], body: []) }
        defer { server.stop() }
        await #expect(throws: HTTPTransportError.self) { try await transport.send(HTTPRequest(method: .get, url: server.url), limits: HTTPLimits()) }
    }

    /// Waiting on the network happens on the transport's own thread: with many exchanges
    /// hanging, other async work still runs at once on the cooperative pool.
    @Test("64 hanging exchanges do not hold up other work on the cooperative pool")
    func hangingExchangesDoNotBlockTheCooperativePool() async throws {
        let server = try LoopbackHTTPServer { _ in .hang }
        defer { server.stop() }
        let results = try await withThrowingTaskGroup(of: Duration?.self) { group in
            for _ in 0..<64 {
                group.addTask {
                    _ = try? await transport.send(HTTPRequest(method: .get, url: server.url), limits: HTTPLimits(timeout: .seconds(2)))
                    return nil
                }
            }
            try await Poll.until("64 requests to hang", timeout: .seconds(10)) { server.requests.count == 64 }
            group.addTask {
                let started = ContinuousClock.now
                var total = 0
                for index in 0..<10_000 { total &+= index }
                await Task.yield()
                return total >= 0 ? ContinuousClock.now - started : nil
            }
            var latencies: [Duration] = []
            for try await result in group { if let result { latencies.append(result) } }
            return latencies
        }
        #expect(results.count == 1)
        #expect(results[0] < .milliseconds(500))
    }
}
