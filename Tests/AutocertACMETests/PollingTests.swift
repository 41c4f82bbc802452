import AutocertHTTP
import Foundation
import Synchronization
import Testing
@testable import AutocertACME

/// The polling policy (RFC 8555 §7.5.1, §7.4; RFC 9110 §10.2.3): the CA's Retry-After in both
/// forms, clamped; a jittered backoff from 50 ms to 4 s without it; the total wait bounded.
/// Every pause is read off a clock that only pretends to sleep: no test waits in real time.
@Suite("ACMEClient polling: Retry-After, backoff, bounds")
struct PollingTests {
    static let account = ACMEAccount(url: "https://ca.test/acct/1", key: .generateP256(), resource: .init(status: .valid))
    static let pendingAuthorization = "{\"identifier\":{\"type\":\"dns\",\"value\":\"a.example\"},\"status\":\"pending\",\"challenges\":[]}"
    static let validAuthorization = pendingAuthorization.replacingOccurrences(of: "pending", with: "valid")

    static func order(_ status: String) -> String {
        "{\"status\":\"\(status)\",\"identifiers\":[{\"type\":\"dns\",\"value\":\"a.example\"}],\"authorizations\":[],\"finalize\":\"https://ca.test/fin\""
            + (status == "valid" ? ",\"certificate\":\"https://ca.test/cert/1\"}" : "}")
    }

    static func client(_ transport: FakeTransport, clock: RecordingPollingClock, polling: ACMEPolling = ACMEPolling()) -> ACMEClient {
        var configuration = ACMEClient.Configuration()
        configuration.polling = polling
        return ACMEClient(directoryURL: "https://ca.test/dir", transport: transport, configuration: configuration,
                          logger: .init(label: "polling-test"), pollingClock: clock)
    }

    /// Equal to the microsecond (a jittered pause is computed in floating point).
    static func close(_ a: Duration, _ b: Duration) -> Bool {
        abs((a - b) / .microseconds(1)) < 1
    }

    static func httpDate(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.string(from: date)
    }

    @Test("without Retry-After the pause doubles from 50 ms to 4 s, shortened by at most 20 % of jitter but never below 50 ms")
    func backoffWithoutRetryAfter() {
        let polling = ACMEPolling()
        let steps: [Duration] = [.milliseconds(50), .milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800),
                                 .milliseconds(1600), .milliseconds(3200), .seconds(4), .seconds(4), .seconds(4)]
        for (index, step) in steps.enumerated() {
            #expect(polling.pause(poll: index + 1, retryAfter: nil, unit: 0) == step, "poll \(index + 1)")
            #expect(polling.pause(poll: index + 1, retryAfter: nil, unit: 0.999_999) > step * 0.8, "poll \(index + 1)")
            // Jitter never takes a pause below the minimum: the first is always 50 ms.
            let jittered = max(step * 0.9, polling.minimumInterval)
            #expect(Self.close(polling.pause(poll: index + 1, retryAfter: nil, unit: 0.5), jittered), "poll \(index + 1)")
        }
        #expect(polling.pause(poll: 1, retryAfter: nil, unit: 1) == .milliseconds(50), "never below the minimum")
        #expect(polling.pause(poll: 10_000, retryAfter: nil, unit: 0) == .seconds(4), "no overflow on a long wait")
        let capped = ACMEPolling(backoffCeiling: .seconds(60), maximumInterval: .seconds(2))
        #expect(capped.pause(poll: 20, retryAfter: nil, unit: 0) == .seconds(2), "the maximum interval bounds the backoff too")
    }

    @Test("a Retry-After is honoured exactly, without jitter, clamped to [50 ms, 30 s]")
    func retryAfterIsHonouredAndClamped() {
        let polling = ACMEPolling()
        #expect(polling.pause(poll: 1, retryAfter: .seconds(3), unit: 0.9) == .seconds(3))
        #expect(polling.pause(poll: 9, retryAfter: .seconds(1), unit: 0.9) == .seconds(1), "not the backoff's 4 s")
        #expect(polling.pause(poll: 1, retryAfter: .zero, unit: 0) == .milliseconds(50), "Retry-After: 0 is no hot loop")
        #expect(polling.pause(poll: 1, retryAfter: .seconds(86_400), unit: 0) == .seconds(30))
    }

    @Test("an authorization is polled after the CA's delta-seconds and HTTP-date Retry-After, then with backoff")
    func authorizationHonoursBothRetryAfterForms() async throws {
        let clock = RecordingPollingClock(unit: 0.5)
        let answers = AnswerQueue([
            { FakeTransport.json(200, Self.pendingAuthorization, headers: [HTTPHeader(name: "Retry-After", value: "2")]) },
            // Written when the CA answers, read moments later.
            { FakeTransport.json(200, Self.pendingAuthorization, headers: [HTTPHeader(name: "Retry-After", value: Self.httpDate(Date().addingTimeInterval(7)))]) },
            { FakeTransport.json(200, Self.pendingAuthorization, headers: [HTTPHeader(name: "Retry-After", value: "3600")]) },
            { FakeTransport.json(200, Self.pendingAuthorization) },
            { FakeTransport.json(200, Self.validAuthorization) },
        ])
        let client = Self.client(.ca { _, _ in answers.next() }, clock: clock)
        let authorization = try await client.waitForAuthorization(at: "https://ca.test/authz/1", account: Self.account)
        #expect(authorization.status == .valid)
        let pauses = clock.pauses
        try #require(pauses.count == 4, "\(pauses)")
        #expect(pauses[0] == .seconds(2), "delta-seconds")
        // The HTTP-date has whole seconds: 7 s ahead when written, 6 or 7 when read (5 on a
        // machine that stalls the test for over a second between the two).
        #expect(pauses[1] >= .seconds(5) && pauses[1] <= .seconds(7), "HTTP-date: \(pauses[1])")
        #expect(pauses[2] == .seconds(30), "3600 s clamped to the maximum interval")
        #expect(Self.close(pauses[3], .milliseconds(360)), "no Retry-After: the 4th poll's backoff step, 400 ms, less 10 % of jitter: \(pauses[3])")
        #expect(answers.remaining == 0)
    }

    @Test("an order after finalize is polled after the finalize answer's Retry-After, then with backoff, until valid")
    func finalizeHonoursRetryAfterThenBacksOff() async throws {
        let clock = RecordingPollingClock(unit: 0)
        let answers = AnswerQueue([
            { FakeTransport.json(200, Self.order("processing"), headers: [HTTPHeader(name: "Retry-After", value: "1")]) },  // finalize
            { FakeTransport.json(200, Self.order("processing")) },
            { FakeTransport.json(200, Self.order("processing")) },
            { FakeTransport.json(200, Self.order("valid")) },
        ])
        let client = Self.client(.ca { _, _ in answers.next() }, clock: clock)
        let ready = ACMEOrder(url: "https://ca.test/order/1", resource: .init(status: .ready, identifiers: [.dns("a.example")], authorizations: [], finalize: "https://ca.test/fin"))
        let valid = try await client.finalize(ready, csrDER: [0x30, 0x00], account: Self.account)
        #expect(valid.status == .valid)
        #expect(clock.pauses == [.seconds(1), .milliseconds(100), .milliseconds(200)])
    }

    @Test("a resource that stays pending ends in pollTimedOut once the next pause would pass the timeout, polling at most every 4 s")
    func pollingIsBounded() async throws {
        let clock = RecordingPollingClock(unit: 0)
        let client = Self.client(.ca { _, _ in FakeTransport.json(200, Self.pendingAuthorization) }, clock: clock,
                                 polling: ACMEPolling(timeout: .seconds(20)))
        do {
            _ = try await client.waitForAuthorization(at: "https://ca.test/authz/1", account: Self.account)
            Issue.record("a forever-pending authorization did not time out")
        } catch let error as ACMEError {
            #expect(error.code == .pollTimedOut, "\(error)")
            #expect(error.reason.contains("authorization of a.example"))
        }
        let pauses = clock.pauses
        // 50 + 100 + … + 3200 ms = 6.35 s, then 4 s pauses: 10.35, 14.35, 18.35; 22.35 would pass 20 s.
        #expect(pauses.count == 10, "\(pauses)")
        #expect(pauses.max() == .seconds(4))
        #expect(clock.now <= .seconds(20))
    }
}

/// Answers made one per signed request, in order, when the request comes (the directory and
/// nonces are the fake CA's own).
final class AnswerQueue: Sendable {
    typealias Answer = @Sendable () -> HTTPResponse
    private let answers: Mutex<[Answer]>

    init(_ answers: [Answer]) { self.answers = Mutex(answers) }

    var remaining: Int { answers.withLock { $0.count } }

    func next() -> HTTPResponse {
        let answer = answers.withLock { $0.isEmpty ? nil : $0.removeFirst() }
        return answer?() ?? FakeTransport.json(500, "{\"detail\":\"no more answers\"}")
    }
}
