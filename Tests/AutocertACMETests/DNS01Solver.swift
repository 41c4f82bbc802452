import AutocertACME
import AutocertHTTP
import AutocertTestSupport
import Foundation

/// An ``ACMEChallengeSolver`` for dns-01 that sets TXT records in pebble-challtestsrv, the
/// DNS server Pebble resolves through (its management API: `/set-txt`, `/clear-txt`).
struct DNS01Solver: ACMEChallengeSolver {
    let managementPort: Int
    let transport: any HTTPTransport
    var challengeTypes: [String] { [ACMEChallenge.dns01] }

    func present(_ challenge: ACMEChallenge, for identifier: ACMEIdentifier, keyAuthorization: String) async throws {
        try await call("set-txt", ["host": fqdn(identifier), "value": ACMEChallenge.dns01TXTValue(keyAuthorization: keyAuthorization)])
    }

    func cleanUp(_ challenge: ACMEChallenge, for identifier: ACMEIdentifier) async {
        try? await call("clear-txt", ["host": fqdn(identifier)])
    }

    private func fqdn(_ identifier: ACMEIdentifier) -> String { ACMEChallenge.dns01RecordName(for: identifier.value) + "." }

    private func call(_ endpoint: String, _ body: [String: String]) async throws {
        let request = HTTPRequest(method: .post, url: "http://127.0.0.1:\(managementPort)/\(endpoint)",
                                  headers: [HTTPHeader(name: "Content-Type", value: "application/json")],
                                  body: Array(try JSONEncoder().encode(body)))
        let response = try await transport.send(request, limits: HTTPLimits(timeout: .seconds(10)))
        guard response.status == 200 else { throw TestSupportError("challtestsrv /\(endpoint) answered \(response.status)") }
    }
}
