@testable import AutocertStapling
import AutocertHTTP
@_spi(OCSPWire) import AutocertOCSP
import AutocertStorage
import AutocertTestSupport
import Foundation
import MetricsTestKit
import Testing
import X509

/// The manager's schedule, driven by a manual clock and an in-process transport.
@Suite("Stapler: the schedule, on a manual clock")
struct StaplingManagerScheduleTests {
    let day: TimeInterval = 86_400

    /// A CA, one leaf and its subject, with a responder answering `good` for [now, now + validity].
    struct Fixture {
        let clock = ManualClock()
        let pki: InProcessPKI
        let leaf: Certificate
        let subject: OCSPSubject

        init(leafLifetime: TimeInterval = 90 * 86_400, ocspURL: String? = "http://ocsp.test/") throws {
            let start = clock.now.addingTimeInterval(-3600)
            pki = try InProcessPKI(notBefore: start)
            leaf = try pki.leaf(notBefore: start, lifetime: leafLifetime, ocspURL: ocspURL)
            subject = try pki.subject(leaf)
        }

        /// A transport answering a fresh response made at the clock's current time.
        func responder(status: OCSPCertStatus = .good, validity: TimeInterval? = 4 * 86_400, headers: [HTTPHeader] = []) -> ScriptTransport {
            ScriptTransport { [pki, subject, clock] request in
                let now = clock.now
                return ScriptTransport.ocsp(try pki.response(for: subject, status: status, thisUpdate: now, nextUpdate: validity.map { now.addingTimeInterval($0) }),
                                            url: request.url, headers: headers)
            }
        }
    }

    @Test("the first staple is fetched at once, the next at the midpoint of its validity")
    func fetchesAtOnceThenRefreshesAtTheMidpoint() async throws {
        let fixture = try Fixture()
        let transport = fixture.responder()
        let harness = Harness(clock: fixture.clock, transport: transport)
        let id = await harness.manager.add(fixture.subject)
        #expect(harness.manager.staple(for: id) == nil)
        harness.start()
        defer { harness.cancel() }
        let staple = await harness.manager.firstStaple(for: id, timeout: .seconds(10))
        #expect(staple != nil)
        try await harness.settle()
        #expect(transport.requestCount == 1)
        let info = try #require(harness.manager.info(for: id))
        #expect(info.condition == .stapled)
        #expect(info.nextAttempt == fixture.clock.now.addingTimeInterval(2 * day))
        try await harness.advance(2 * day - 1)
        #expect(transport.requestCount == 1)
        try await harness.advance(1)
        #expect(transport.requestCount == 2)
        #expect(harness.manager.staple(for: id) != nil)
        try await Poll.until("two fetched events") { harness.events { $0.isFetched }.count == 2 }
        #expect(harness.metrics.counterTotal(label: "autocert_stapling_fetches_total") == 2)
    }

    @Test("the last good staple is served through failures until its nextUpdate and not a second longer")
    func servesTheLastGoodStapleThroughFailuresUntilNextUpdateAndNotASecondLonger() async throws {
        let fixture = try Fixture()
        let transport = fixture.responder(validity: 4 * day)
        let harness = Harness(clock: fixture.clock, transport: transport)
        let id = await harness.manager.add(fixture.subject)
        harness.start()
        defer { harness.cancel() }
        let good = try #require(await harness.manager.firstStaple(for: id))
        let nextUpdate = fixture.clock.now.addingTimeInterval(4 * day)
        transport.setScript { request in HTTPResponse(status: 500, headers: [], body: [], url: request.url) }
        // Walk the clock through every retry until one second before nextUpdate.
        while true {
            let next = try #require(harness.manager.info(for: id)?.nextAttempt)
            if next >= nextUpdate.addingTimeInterval(-1) { break }
            try await harness.advance(next.timeIntervalSince(fixture.clock.now))
            #expect(harness.manager.staple(for: id) == good)
        }
        try await harness.advance(nextUpdate.addingTimeInterval(-1).timeIntervalSince(fixture.clock.now))
        #expect(harness.manager.staple(for: id) == good)
        fixture.clock.advance(by: 1)
        #expect(harness.manager.staple(for: id) == nil)
        try await harness.settle()
        #expect(harness.manager.info(for: id)?.condition == .failing)
        try await Poll.until("expired and expiring events") {
            !harness.events { $0.isExpired }.isEmpty && !harness.events { $0.isExpiringWithoutRefresh }.isEmpty
        }
        #expect(harness.metrics.counterTotal(label: "autocert_stapling_failures_total", dimensions: [("reason", "httpStatus")]) > 0)
    }

    @Test("failed fetches back off 60, 120, 240 … seconds at the top of the jitter band, up to 3600, never early")
    func backoffGrowsWithFullJitterUpToTheCeiling() async throws {
        let fixture = try Fixture()
        let transport = ScriptTransport { request in HTTPResponse(status: 500, headers: [], body: [], url: request.url) }
        let harness = Harness(clock: fixture.clock, transport: transport, configuration: Harness.configuration(unit: 1.0))
        let id = await harness.manager.add(fixture.subject)
        harness.start()
        defer { harness.cancel() }
        try await Poll.until("the first attempt") { transport.requestCount == 1 }
        try await harness.settle()
        var delays: [TimeInterval] = []
        for attempt in 2...10 {
            let next = try #require(harness.manager.info(for: id)?.nextAttempt)
            let wait = next.timeIntervalSince(fixture.clock.now)
            delays.append(wait)
            try await harness.advance(wait - 1)
            #expect(transport.requestCount == attempt - 1, "no attempt before the planned time")
            try await harness.advance(1)
            #expect(transport.requestCount == attempt)
        }
        // unit 1 is the top of each band: 60, 120, 240, … capped at 3600 s.
        #expect(delays == [60, 120, 240, 480, 960, 1920, 3600, 3600, 3600])
        #expect(harness.manager.info(for: id)?.failureStreak == 10)
    }

    @Test("a 503's Retry-After sets the next attempt")
    func retryAfterIsHonoured() async throws {
        let fixture = try Fixture()
        let transport = ScriptTransport { request in
            HTTPResponse(status: 503, headers: [HTTPHeader(name: "Retry-After", value: "900")], body: [], url: request.url)
        }
        let harness = Harness(clock: fixture.clock, transport: transport)
        let id = await harness.manager.add(fixture.subject)
        harness.start()
        defer { harness.cancel() }
        try await Poll.until("the first attempt") { transport.requestCount == 1 }
        try await harness.settle()
        #expect(harness.manager.info(for: id)?.nextAttempt == fixture.clock.now.addingTimeInterval(900))
    }

    @Test("a max-age of 3 days moves the refresh from the midpoint to 3 days")
    func maxAgeDelaysTheRefresh() async throws {
        let fixture = try Fixture()
        let transport = fixture.responder(validity: 4 * day, headers: [HTTPHeader(name: "Cache-Control", value: "public, max-age=259200")])
        let harness = Harness(clock: fixture.clock, transport: transport)
        let id = await harness.manager.add(fixture.subject)
        harness.start()
        defer { harness.cancel() }
        _ = await harness.manager.firstStaple(for: id)
        try await harness.settle()
        #expect(harness.manager.info(for: id)?.nextAttempt == fixture.clock.now.addingTimeInterval(3 * day))
    }

    @Test("a response without nextUpdate is served for the default day and refreshed after half of it")
    func aResponseWithoutNextUpdateGetsTheDefaultLifetime() async throws {
        let fixture = try Fixture()
        let harness = Harness(clock: fixture.clock, transport: fixture.responder(validity: nil))
        let id = await harness.manager.add(fixture.subject)
        harness.start()
        defer { harness.cancel() }
        _ = await harness.manager.firstStaple(for: id)
        try await harness.settle()
        let info = try #require(harness.manager.info(for: id))
        #expect(info.servedUntil == fixture.clock.now.addingTimeInterval(day))
        #expect(info.nextAttempt == fixture.clock.now.addingTimeInterval(day / 2))
    }

    @Test("a short-lived certificate's staple ends with the certificate, and nothing is fetched after")
    func aShortLivedCertificateGetsAStapleClampedToItsExpiry() async throws {
        // The certificate has 5 hours left; the responder says 7 days.
        let fixture = try Fixture(leafLifetime: 6 * 3600)
        let transport = fixture.responder(validity: 7 * day)
        let harness = Harness(clock: fixture.clock, transport: transport)
        let id = await harness.manager.add(fixture.subject)
        harness.start()
        defer { harness.cancel() }
        #expect(await harness.manager.firstStaple(for: id) != nil)
        try await harness.settle()
        let notAfter = fixture.leaf.notValidAfter
        #expect(harness.manager.info(for: id)?.servedUntil == notAfter)
        try await harness.advance(notAfter.timeIntervalSince(fixture.clock.now) - 1)
        #expect(harness.manager.staple(for: id) != nil)
        try await harness.advance(1)
        #expect(harness.manager.staple(for: id) == nil)
        #expect(harness.manager.info(for: id)?.condition == .certificateExpired)
        let requests = transport.requestCount
        try await harness.advance(30 * day)
        #expect(transport.requestCount == requests, "no fetches for an expired certificate")
    }

    @Test("a responder clock 2 minutes ahead is accepted, and the refresh is planned from its thisUpdate")
    func aResponderClockAheadWithinTheSkewIsAcceptedAndScheduledFromItsThisUpdate() async throws {
        let fixture = try Fixture()
        let transport = ScriptTransport { [pki = fixture.pki, subject = fixture.subject, clock = fixture.clock] request in
            let ahead = clock.now.addingTimeInterval(120)
            return ScriptTransport.ocsp(try pki.response(for: subject, thisUpdate: ahead, nextUpdate: ahead.addingTimeInterval(4 * 86_400), producedAt: ahead))
        }
        let harness = Harness(clock: fixture.clock, transport: transport)
        let id = await harness.manager.add(fixture.subject)
        harness.start()
        defer { harness.cancel() }
        #expect(await harness.manager.firstStaple(for: id) != nil)
        try await harness.settle()
        #expect(harness.manager.info(for: id)?.nextAttempt == fixture.clock.now.addingTimeInterval(120 + 2 * day))
    }
}
