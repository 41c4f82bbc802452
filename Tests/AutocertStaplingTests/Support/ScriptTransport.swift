import AutocertHTTP
import Foundation
import Synchronization

/// An in-process HTTPTransport for schedule tests: answers come from a script, requests are counted.
final class ScriptTransport: HTTPTransport {
    typealias Script = @Sendable (HTTPRequest) async throws -> HTTPResponse

    private let script: Mutex<Script>
    private let log = Mutex<[HTTPRequest]>([])
    private let concurrency = Mutex<(now: Int, peak: Int)>((0, 0))

    init(_ script: @escaping Script) {
        self.script = Mutex(script)
    }

    func setScript(_ script: @escaping Script) { self.script.withLock { $0 = script } }

    var requests: [HTTPRequest] { log.withLock { $0 } }
    var requestCount: Int { log.withLock { $0.count } }
    var peakConcurrency: Int { concurrency.withLock { $0.peak } }

    func send(_ request: HTTPRequest, limits: HTTPLimits) async throws -> HTTPResponse {
        log.withLock { $0.append(request) }
        concurrency.withLock { $0.now += 1; $0.peak = max($0.peak, $0.now) }
        defer { concurrency.withLock { $0.now -= 1 } }
        return try await script.withLock { $0 }(request)
    }

    /// A 200 OCSP answer.
    static func ocsp(_ der: [UInt8], url: String = "http://ocsp.test", headers: [HTTPHeader] = []) -> HTTPResponse {
        HTTPResponse(status: 200, headers: [HTTPHeader(name: "Content-Type", value: "application/ocsp-response")] + headers, body: der, url: url)
    }
}
