import AutocertACME
import AutocertTestSupport
import Foundation

/// An http-01 responder on 127.0.0.1 (RFC 8555 §8.3), on the shared ``LoopbackHTTPServer``:
/// `GET /.well-known/acme-challenge/TOKEN` → 200 with the key authorization, else 404.
final class HTTP01Responder: Sendable {
    private let server: LoopbackHTTPServer
    private let answers: Locked<[String: String]>

    var port: Int { server.port }

    init(port: Int) throws {
        let answers = Locked<[String: String]>([:])
        self.answers = answers
        server = try LoopbackHTTPServer(port: port) { request in
            let headers = [("Content-Type", "text/plain")]
            guard request.method == "GET", let body = answers.withLock({ $0[request.path] }) else {
                return .respond(status: 404, headers: headers, body: Array("not found".utf8))
            }
            return .respond(status: 200, headers: headers, body: Array(body.utf8))
        }
    }

    /// Serves `body` at `path` from now on.
    func set(path: String, body: String) { answers.withLock { $0[path] = body } }

    /// Stops serving `path`.
    func remove(path: String) { answers.withLock { $0[path] = nil } }

    /// The paths currently answered.
    var servedPaths: [String] { answers.withLock { Array($0.keys) } }

    /// The requests seen so far, as `METHOD path`.
    var requestLines: [String] { server.requests.map { "\($0.method) \($0.path)" } }

    func stop() { server.stop() }
}

/// An ``ACMEChallengeSolver`` for http-01 on an ``HTTP01Responder``.
struct HTTP01Solver: ACMEChallengeSolver {
    let responder: HTTP01Responder
    var challengeTypes: [String] { [ACMEChallenge.http01] }

    func present(_ challenge: ACMEChallenge, for identifier: ACMEIdentifier, keyAuthorization: String) async throws {
        guard let path = challenge.http01Path else { throw TestSupportError("http-01 challenge without token") }
        responder.set(path: path, body: keyAuthorization)
    }

    func cleanUp(_ challenge: ACMEChallenge, for identifier: ACMEIdentifier) async {
        if let path = challenge.http01Path { responder.remove(path: path) }
    }
}
