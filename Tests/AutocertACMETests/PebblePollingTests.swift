import AutocertCurl
import AutocertHTTP
import AutocertTestSupport
import Foundation
import Logging
import Synchronization
import Testing
@testable import AutocertACME

/// The polling policy in a whole issuance against real Pebble: Pebble sends no Retry-After,
/// so a front keeps each authorization pending for three more polls, with a Retry-After of
/// each kind; the client's pauses are read off a clock that only pretends to sleep.
@Suite("ACMEClient polling against Pebble", .serialized)
struct PebblePollingTests {
    @Test("a whole issuance against Pebble waits exactly what each Retry-After says (delta-seconds, HTTP-date, clamped), and backs off without one")
    func issuanceHonoursRetryAfterAgainstPebble() async throws {
        var options = PebbleHarness.Options()
        options.nonceRejectPercent = 0
        let pebble = try await PebbleHarness(options)
        let responder = try HTTP01Responder(port: pebble.httpPort)
        defer { responder.stop() }
        do {
            let front = AuthorizationDelayFront(inner: CurlTransport(configuration: .init(caBundlePath: pebble.httpsRootPEMFile)),
                                                retryAfter: [{ "1" }, { PollingTests.httpDate(Date().addingTimeInterval(4)) }, { "3600" }])
            var configuration = ACMEClient.Configuration.pebble
            configuration.polling = ACMEPolling(maximumInterval: .seconds(10), timeout: .seconds(120))
            let clock = RecordingPollingClock(unit: 0.5, realPause: .milliseconds(10))
            let client = ACMEClient(directoryURL: pebble.directoryURL, transport: front, configuration: configuration,
                                    logger: Logger(label: "pebble-polling-test"), pollingClock: clock)
            let account = try await client.createAccount(key: .generateP256(), contact: [], termsOfServiceAgreed: true)
            let issued = try await client.issueCertificate(for: ["polling.example.com"], account: account, solver: HTTP01Solver(responder: responder))
            #expect(issued.order.status == .valid)
            #expect(front.heldAnswers == 3)

            let pauses = clock.pauses
            try #require(pauses.count >= 3, "\(pauses)")
            #expect(pauses[0] == .seconds(1), "delta-seconds")
            // Whole seconds: 4 s ahead when written, 3 or 4 when read (2 on a machine that stalls
            // the test for over a second between the two); the backoff's step would be 100 ms.
            #expect(pauses[1] >= .seconds(2) && pauses[1] <= .seconds(4), "HTTP-date: \(pauses[1])")
            #expect(pauses[2] == .seconds(10), "3600 s clamped to the maximum interval")
            // Anything after (Pebble still validating, the order processing): backoff steps, each
            // at most its poll's step (a new resource's polls start again at 50 ms).
            for (index, pause) in pauses.enumerated().dropFirst(3) {
                let step = configuration.polling.pause(poll: index + 1, retryAfter: nil, unit: 0)
                #expect(pause <= step && pause >= .milliseconds(40), "pause \(index): \(pause)")
            }
        } catch {
            print("pebble output (tail):\n" + String(pebble.pebbleOutput.suffix(3000)))
            await pebble.stop()
            throw error
        }
        await pebble.stop()
    }
}

/// In front of Pebble: the three fetches of each authorization after its first (which shows
/// it pending before the answer is presented) are answered `pending`, each with the next
/// Retry-After of the list; everything else passes unchanged.
final class AuthorizationDelayFront: HTTPTransport {
    private let inner: any HTTPTransport
    private let retryAfter: [@Sendable () -> String]
    private let fetches = Mutex<(byURL: [String: Int], held: Int)>(([:], 0))

    /// - Parameter retryAfter: the Retry-After of each held answer, made when it is sent.
    init(inner: any HTTPTransport, retryAfter: [@Sendable () -> String]) {
        self.inner = inner
        self.retryAfter = retryAfter
    }

    /// How many answers were held back as pending.
    var heldAnswers: Int { fetches.withLock { $0.held } }

    func send(_ request: HTTPRequest, limits: HTTPLimits) async throws -> HTTPResponse {
        var response = try await inner.send(request, limits: limits)
        // Pebble's authorization URLs are /authZ/ID.
        guard request.method == .post, request.url.contains("/authZ/"), response.status == 200,
              var object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] else { return response }
        let hold = fetches.withLock { state -> (@Sendable () -> String)? in
            state.byURL[request.url, default: 0] += 1
            let poll = state.byURL[request.url]! - 1
            guard poll >= 1, poll <= retryAfter.count else { return nil }
            state.held += 1
            return retryAfter[poll - 1]
        }
        guard let hold else { return response }
        object["status"] = "pending"
        response.body = Array(try JSONSerialization.data(withJSONObject: object))
        response.headers.append(HTTPHeader(name: "Retry-After", value: hold()))
        return response
    }
}
