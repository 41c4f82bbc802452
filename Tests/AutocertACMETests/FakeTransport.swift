@testable import AutocertACME
import AutocertHTTP
import Foundation
import Synchronization

/// An ``HTTPTransport`` double: answers from a handler, records requests; `hold` (when
/// given) runs before each answer, so a test can keep one request in flight.
final class FakeTransport: HTTPTransport, Sendable {
    typealias Handler = @Sendable (HTTPRequest, Int) -> HTTPResponse
    typealias Hold = @Sendable (HTTPRequest, Int) async -> Void
    private let handler: Handler
    private let hold: Hold?
    private let log = Mutex<[HTTPRequest]>([])

    init(hold: Hold? = nil, _ handler: @escaping Handler) {
        self.hold = hold
        self.handler = handler
    }

    var requests: [HTTPRequest] { log.withLock { $0 } }

    func send(_ request: HTTPRequest, limits: HTTPLimits) async throws -> HTTPResponse {
        let index = log.withLock { requests -> Int in
            requests.append(request)
            return requests.count - 1
        }
        await hold?(request, index)
        var response = handler(request, index)
        response.url = request.url
        if response.body.count > limits.maxBodyBytes {
            throw HTTPTransportError(.bodyTooLarge, "over \(limits.maxBodyBytes) bytes")
        }
        return response
    }

    static func json(_ status: Int, _ text: String, headers: [HTTPHeader] = [], contentType: String = "application/json") -> HTTPResponse {
        HTTPResponse(status: status, headers: [HTTPHeader(name: "Content-Type", value: contentType)] + headers, body: Array(text.utf8), url: "")
    }

    static let directoryJSON = """
        {"newNonce":"https://ca.test/nonce","newAccount":"https://ca.test/acct","newOrder":"https://ca.test/order",\
        "revokeCert":"https://ca.test/revoke","keyChange":"https://ca.test/key","meta":{"termsOfService":"https://ca.test/tos"}}
        """

    /// A minimal CA: a directory, nonces, and `route` for everything else.
    static func ca(hold: Hold? = nil, _ route: @escaping @Sendable (HTTPRequest, Int) -> HTTPResponse) -> FakeTransport {
        FakeTransport(hold: hold) { request, index in
            switch (request.method, request.url) {
            case (.get, "https://ca.test/dir"): return json(200, directoryJSON)
            case (.head, "https://ca.test/nonce"):
                return HTTPResponse(status: 200, headers: [HTTPHeader(name: "Replay-Nonce", value: "nonce-\(index)")], body: [], url: "")
            default:
                var response = route(request, index)
                response.headers.append(HTTPHeader(name: "Replay-Nonce", value: "nonce-r\(index)"))
                return response
            }
        }
    }
}

extension FakeTransport {
    /// The `nonce` of the JWS protected header (RFC 8555 §6.5) of a POST.
    static func nonce(of request: HTTPRequest) throws -> String {
        let jws = try JSONDecoder().decode(JWS.self, from: Data(request.body ?? []))
        let header = try JSONSerialization.jsonObject(with: Data(Base64URL.decode(jws.protected) ?? [])) as? [String: Any]
        return header?["nonce"] as? String ?? ""
    }
}
