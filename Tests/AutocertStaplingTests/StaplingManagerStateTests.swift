@testable import AutocertStapling
import AutocertHTTP
@_spi(OCSPWire) import AutocertOCSP
import AutocertStorage
import AutocertTestSupport
import Foundation
import SwiftASN1
import MetricsTestKit
import Testing
import X509

/// Revoked, unknown, no responder, overrides, first-staple deadline, fetch limit, removal, health.
@Suite("Stapler: revoked, unknown, no responder, overrides, deadlines, fetch limit, removal and gauges")
struct StaplingManagerStateTests {
    typealias Fixture = StaplingManagerScheduleTests.Fixture
    let day: TimeInterval = 86_400

    @Test("a revoked answer is stapled, reported once, counted, and listed as a health problem")
    func revokedIsReportedOnceAndStapled() async throws {
        let fixture = try Fixture()
        let revokedAt = try GeneralizedTime(fixture.clock.now.addingTimeInterval(-600))
        let transport = fixture.responder()
        let harness = Harness(clock: fixture.clock, transport: transport)
        let id = await harness.manager.add(fixture.subject)
        harness.start()
        defer { harness.cancel() }
        _ = try #require(await harness.manager.firstStaple(for: id))
        transport.setScript { [pki = fixture.pki, subject = fixture.subject, clock = fixture.clock] request in
            let now = clock.now
            return ScriptTransport.ocsp(try pki.response(for: subject, status: .revoked(time: revokedAt, reason: .keyCompromise),
                                                        thisUpdate: now, nextUpdate: now.addingTimeInterval(4 * 86_400)))
        }
        try await harness.advance(2 * day)
        try await harness.advance(2 * day)
        let info = try #require(harness.manager.info(for: id))
        #expect(info.condition == .revoked)
        #expect(info.revocationReason == .keyCompromise)
        let staple = try #require(harness.manager.staple(for: id))
        let verified = try OCSPVerifier(subject: fixture.subject).verify(staple, policy: OCSPVerificationPolicy(now: fixture.clock.now))
        #expect(verified.revocationTime != nil, "the revoked response is what is stapled")
        try await Poll.until("one revoked event") { harness.events { $0.isRevoked }.count == 1 }
        #expect(harness.metrics.counterTotal(label: "autocert_stapling_revocations_total") == 1)
        #expect(harness.manager.health().problems.map(\.id) == [id])
    }

    @Test("with staplesRevokedResponses off a revoked answer is not stapled, but still reported")
    func revokedIsNotStapledWhenConfiguredSo() async throws {
        let fixture = try Fixture()
        let revokedAt = try GeneralizedTime(fixture.clock.now.addingTimeInterval(-600))
        let harness = Harness(clock: fixture.clock, transport: fixture.responder(status: .revoked(time: revokedAt, reason: nil)),
                              configuration: Harness.configuration { $0.staplesRevokedResponses = false })
        let id = await harness.manager.add(fixture.subject)
        harness.start()
        defer { harness.cancel() }
        #expect(await harness.manager.firstStaple(for: id) == nil)
        #expect(harness.manager.info(for: id)?.condition == .revoked)
        try await Poll.until("the revoked event") { harness.events { $0.isRevoked }.count == 1 }
    }

    @Test("an unknown status staples nothing and raises no event, is asked again later, and is a health problem")
    func unknownStatusStaplesNothingAndRaisesNoEvent() async throws {
        let fixture = try Fixture()
        let transport = fixture.responder(status: .unknown)
        let harness = Harness(clock: fixture.clock, transport: transport)
        let id = await harness.manager.add(fixture.subject)
        harness.start()
        defer { harness.cancel() }
        #expect(await harness.manager.firstStaple(for: id) == nil)
        try await harness.settle()
        #expect(harness.manager.info(for: id)?.condition == .unknownToResponder)
        try await harness.advance(3600)
        #expect(transport.requestCount == 2, "asked again after between half and one retry ceiling")
        #expect(harness.events.isEmpty)
        #expect(harness.manager.health().problems.first?.info.condition == .unknownToResponder)
    }

    @Test("a certificate without a responder URL is never fetched, its state says noResponderURL, and health counts it as healthy")
    func noResponderURLMeansNoFetchAndASayingState() async throws {
        let fixture = try Fixture(ocspURL: nil)
        let transport = fixture.responder()
        let harness = Harness(clock: fixture.clock, transport: transport)
        let id = await harness.manager.add(fixture.subject)
        harness.start()
        defer { harness.cancel() }
        #expect(await harness.manager.firstStaple(for: id) == nil)
        try await harness.advance(day)
        #expect(transport.requestCount == 0)
        #expect(harness.manager.info(for: id)?.condition == .noResponderURL)
        #expect(harness.events.isEmpty)
        let health = harness.manager.health()
        #expect(health.isHealthy && health.withoutOCSP == 1 && health.problems.isEmpty, "no OCSP is the normal case, healthy")
    }

    @Test("the global responder URL replaces the certificate's own, and a per-certificate URL replaces both")
    func responderOverridesPerCertificateAndGlobal() async throws {
        let fixture = try Fixture()
        let other = try fixture.pki.subject(try fixture.pki.leaf("other.test", notBefore: fixture.clock.now.addingTimeInterval(-60), ocspURL: "http://aia.test/"))
        let transport = ScriptTransport { [pki = fixture.pki, subject = fixture.subject, clock = fixture.clock] request in
            let now = clock.now
            let asked = request.url.hasPrefix("http://own.test/") ? other : subject
            return ScriptTransport.ocsp(try pki.response(for: asked, thisUpdate: now, nextUpdate: now.addingTimeInterval(86_400)))
        }
        var configuration = Harness.configuration()
        configuration.responderURL = "http://proxy.test/ocsp"
        let harness = Harness(clock: fixture.clock, transport: transport, configuration: configuration)
        let globalID = await harness.manager.add(fixture.subject)
        let ownID = await harness.manager.add(other, responderURL: "http://own.test/")
        harness.start()
        defer { harness.cancel() }
        #expect(await harness.manager.firstStaple(for: globalID) != nil)
        #expect(await harness.manager.firstStaple(for: ownID) != nil)
        let urls = transport.requests.map(\.url)
        #expect(urls.contains { $0.hasPrefix("http://proxy.test/ocsp/") })
        #expect(urls.contains { $0.hasPrefix("http://own.test/") })
        #expect(!urls.contains { $0.contains("ocsp.test") || $0.contains("aia.test") })
    }

    @Test("firstStaple gives up at its deadline while the fetch still hangs")
    func firstStapleGivesUpAtItsDeadline() async throws {
        let fixture = try Fixture()
        let transport = ScriptTransport { _ in
            try await Task.sleep(for: .seconds(30))
            throw CancellationError()
        }
        let harness = Harness(clock: fixture.clock, transport: transport, configuration: Harness.configuration(fetchTimeout: .seconds(20)))
        let id = await harness.manager.add(fixture.subject)
        harness.start()
        defer { harness.cancel() }
        let started = ContinuousClock.now
        #expect(await harness.manager.firstStaple(for: id, timeout: .milliseconds(300)) == nil)
        let waited = ContinuousClock.now - started
        #expect(waited >= .milliseconds(300) && waited < .seconds(5))
    }

    @Test("a fetch past its deadline is a timedOut failure")
    func aFetchPastItsDeadlineIsAFailure() async throws {
        let fixture = try Fixture()
        let transport = ScriptTransport { _ in
            try await Task.sleep(for: .seconds(30))
            throw CancellationError()
        }
        let harness = Harness(clock: fixture.clock, transport: transport, configuration: Harness.configuration(fetchTimeout: .milliseconds(200)))
        let id = await harness.manager.add(fixture.subject)
        harness.start()
        defer { harness.cancel() }
        try await Poll.until("the deadline failure") { harness.manager.info(for: id)?.failureStreak == 1 }
        #expect(harness.manager.info(for: id)?.lastFailure?.code == .timedOut)
    }

    @Test("across 40 certificates, no more than the limit of 4 fetches are in flight at once")
    func fetchesInFlightAreBoundedAcrossCertificates() async throws {
        let fixture = try Fixture()
        let transport = ScriptTransport { [pki = fixture.pki, clock = fixture.clock] request in
            try await Task.sleep(for: .milliseconds(20))
            throw HTTPTransportError(.connectionFailed, "down \(request.url) \(pki.name) \(clock.now)")
        }
        let harness = Harness(clock: fixture.clock, transport: transport, configuration: Harness.configuration(limit: 4))
        var ids: [StapleID] = []
        for index in 0..<40 {
            let leaf = try fixture.pki.leaf("host\(index).test", notBefore: fixture.clock.now.addingTimeInterval(-60), ocspURL: "http://ocsp.test/")
            ids.append(await harness.manager.add(try fixture.pki.subject(leaf)))
        }
        harness.start()
        defer { harness.cancel() }
        try await Poll.until("40 attempts", timeout: .seconds(20)) { transport.requestCount == 40 }
        #expect(transport.peakConcurrency <= 4)
        #expect(transport.peakConcurrency >= 2)
        try await harness.settle()
        #expect(harness.manager.health().problems.count == 40)
    }

    @Test("remove stops serving, deletes the persisted staple, raises a removed event and fetches no more")
    func removeStopsServingDeletesThePersistedStapleAndSaysSo() async throws {
        let fixture = try Fixture()
        let storage = MemoryStorage()
        let transport = fixture.responder()
        let harness = Harness(clock: fixture.clock, transport: transport, storage: storage)
        let id = await harness.manager.add(fixture.subject)
        harness.start()
        defer { harness.cancel() }
        _ = try #require(await harness.manager.firstStaple(for: id))
        try await Poll.until("the staple to be persisted") { storage.names == [id.storageName] }
        await harness.manager.remove(id)
        #expect(harness.manager.staple(for: id) == nil)
        #expect(harness.manager.info(for: id) == nil)
        #expect(storage.names.isEmpty)
        try await Poll.until("the removed event") { harness.events { $0.isRemoved }.count == 1 }
        try await harness.advance(10 * day)
        #expect(transport.requestCount == 1)
    }

    @Test("gauges report the seconds until expiry and the certificates in each condition")
    func gaugesSummariseTheFleet() async throws {
        let fixture = try Fixture()
        let harness = Harness(clock: fixture.clock, transport: fixture.responder(validity: 4 * day))
        let id = await harness.manager.add(fixture.subject)
        harness.start()
        defer { harness.cancel() }
        _ = try #require(await harness.manager.firstStaple(for: id))
        try await harness.advance(60)
        let expiry = try harness.metrics.expectGauge("autocert_stapling_seconds_until_expiry")
        #expect(expiry.lastValue == 4 * day - 60)
        let stapled = try harness.metrics.expectGauge("autocert_stapling_certificates", [("condition", "stapled")])
        #expect(stapled.lastValue == 1)
        #expect(harness.manager.health().isHealthy)
    }
}

@Suite("Stapler: event streams, and adding a certificate by DER")
struct StaplingEventStreamTests {
    @Test("every subscribed stream hears every event, the application's included")
    func everyStreamSeesEveryEvent() async throws {
        let fixture = try StaplingManagerScheduleTests.Fixture()
        let revokedAt = try GeneralizedTime(fixture.clock.now.addingTimeInterval(-600))
        let harness = Harness(clock: fixture.clock, transport: fixture.responder(status: .revoked(time: revokedAt, reason: nil)))
        let owner = harness.manager.subscribe()
        let id = await harness.manager.add(fixture.subject)
        harness.start()
        let ownerSaw = Task { () -> StapleID? in
            for await event in owner { if case .revoked(let id, _, _) = event { return id } }
            return nil
        }
        try await Poll.until("the application's revoked event") { harness.events { $0.isRevoked }.count == 1 }
        #expect(await ownerSaw.value == id)
        await harness.stop()
    }

    @Test("adding by DER is the same certificate as adding the subject; an issuer that does not match is refused")
    func addingByDERIsTheSameCertificateAsAddingTheSubject() async throws {
        let fixture = try StaplingManagerScheduleTests.Fixture()
        let harness = Harness(clock: fixture.clock, transport: fixture.responder())
        let leafDER = StapleID.der(fixture.leaf)
        let byDER = try await harness.manager.add(leafDER: leafDER, issuerDER: StapleID.der(fixture.pki.certificate))
        #expect(byDER == StapleID(certificate: fixture.leaf))
        #expect(await harness.manager.add(fixture.subject) == byDER)
        #expect(harness.manager.health().certificates == 1)
        await #expect(throws: OCSPError.self) {
            try await harness.manager.add(leafDER: leafDER, issuerDER: leafDER)
        }
    }
}
