@testable import Autocert
import AutocertTestSupport
import AutocertTLS
import Foundation
import Testing
import X509

@Suite("Manager: renewal and revocation")
struct RenewalTests {
    /// With stapling on, renewals ride on the stapler's scheduler (one loop); without it, on
    /// the Manager's own loop. Both must renew on time.
    @Test("renewal runs at notAfter − window − jitter, keeps the key, and serves the old certificate until the new one is in",
          arguments: [false, true])
    func renewsOnTime(stapleOCSP: Bool) async throws {
        let clock = ManualClock(Date())
        let harness = try Harness(stapleOCSP: stapleOCSP, clock: clock)
        defer { harness.stop() }
        try await harness.running {
            let old = try await harness.select(Harness.hello("example.test"))
            #expect((old.ocspStaple != nil) == stapleOCSP)
            let leaf = try Certificate(derEncoded: old.certificateChain[0])
            let renewAt = leaf.notValidAfter.addingTimeInterval(-31.5 * 86_400)  // unit 0.5: 30 days + 1.5 days jitter
            try await Poll.until("the scheduler to sleep") { clock.sleeperCount > 0 }
            harness.ca.failNext(1)
            clock.advance(to: renewAt.addingTimeInterval(-60))
            #expect(harness.ca.issueCount == 1)
            clock.advance(to: renewAt)
            try await Poll.until("a failed renewal") {
                harness.events.contains { if case .failed(name: "example.test", _, 1, _) = $0 { true } else { false } }
            }
            #expect(harness.manager.cachedKey(for: "example.test")?.certificateChain == old.certificateChain, "the old certificate is still served")
            clock.advance(by: 3 * 60)
            try await Poll.until("the renewed certificate to be served") {
                harness.manager.cachedKey(for: "example.test")?.certificateChain != old.certificateChain
            }
            let renewed = try #require(harness.manager.cachedKey(for: "example.test"))
            #expect(harness.ca.issueCount == 3)
            #expect(renewed.privateKey == old.privateKey, "a plain renewal keeps the key")
            #expect(renewed.certificateChain[0] != old.certificateChain[0])
        }
        #expect(harness.events.contains { if case .renewed(name: "example.test", _, _, newKey: false) = $0 { true } else { false } })
    }

    @Test("a revoked OCSP answer replaces the certificate at once; keyCompromise gives a new key",
          arguments: [(1, true), (4, false)])
    func revokedIsReplaced(_ reason: Int, _ expectNewKey: Bool) async throws {
        let harness = try Harness()
        defer { harness.stop() }
        harness.ca.revokeFirst(reason: reason)
        try await harness.running {
            let first = try await harness.select(Harness.hello("example.test"))
            try await Poll.until("the replacement to be served") {
                harness.ca.issueCount == 2 && harness.manager.cachedKey(for: "example.test")?.certificateChain[0] != first.certificateChain[0]
            }
            let replacement = try #require(harness.manager.cachedKey(for: "example.test"))
            #expect((replacement.privateKey != first.privateKey) == expectNewKey)
            try await Poll.until("the replacement's good staple") { harness.manager.cachedKey(for: "example.test")?.ocspStaple != nil }
        }
        #expect(harness.events.contains { if case .revoked(name: "example.test", _) = $0 { true } else { false } })
        #expect(harness.events.contains { if case .renewed(name: "example.test", _, _, newKey: expectNewKey) = $0 { true } else { false } })
    }
}

@Suite("Manager: revocation by the operator")
struct OperatorRevocationTests {
    @Test("revokeCertificate(for:) revokes at the CA and replaces the certificate with a new key for keyCompromise")
    func revokeAndReplace() async throws {
        let harness = try Harness(stapleOCSP: false)
        defer { harness.stop() }
        try await harness.running {
            let first = try await harness.select(Harness.hello("example.test"))
            try await harness.manager.revokeCertificate(for: "example.test", reason: .keyCompromise)
            #expect(harness.ca.revocations == [first.certificateChain[0]])
            try await Poll.until("the replacement") {
                harness.manager.cachedKey(for: "example.test").map { $0.privateKey != first.privateKey } ?? false
            }
            let unknown = await #expect(throws: AutocertError.self) { try await harness.manager.revokeCertificate(for: "other.test") }
            #expect(unknown?.code == .notServed)
        }
    }
}

@Suite("Manager: missed revocation events")
struct RevocationSweepTests {
    @Test("the sweep finds a revoked certificate whose event was never handled, plans it once, and keeps its backoff")
    func sweepFindsRevoked() async throws {
        let harness = try Harness()
        defer { harness.stop() }
        harness.ca.revokeFirst(reason: 1)
        let stapler = try #require(harness.manager.stapler)
        // Run only the stapler: its events are never read, as when its buffer overflowed.
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await stapler.run() }
            defer { tasks.cancelAll() }
            _ = try await harness.select(Harness.hello("example.test"))
            let id = try #require(harness.manager.served.withLock { $0["example.test"]?.stapleID })
            #expect(stapler.info(for: id)?.condition == .revoked)
            // install() saw the revocation already; forget that plan to model a missed event.
            harness.manager.schedule.withLock { $0.set("example.test", Schedule.Plan(due: Date().addingTimeInterval(86_400))) }
            harness.manager.sweepRevoked()
            let plan = try #require(harness.manager.schedule.withLock { $0.plans["example.test"] })
            #expect(plan.replacing && plan.newKey && plan.due <= Date())
            harness.manager.schedule.withLock { $0.set("example.test", Schedule.Plan(due: Date().addingTimeInterval(600), newKey: true, replacing: true)) }
            harness.manager.sweepRevoked()
            #expect(harness.manager.schedule.withLock { $0.plans["example.test"]!.due } > Date(), "a replacement in backoff is not replanned")
        }
    }
}

@Suite("Manager: what stops being served")
struct StopsBeingServedTests {
    @Test("a certificate past its notAfter is never served: the next handshake obtains a new one")
    func expiredIsNotServed() async throws {
        let clock = ManualClock(Date())
        let harness = try Harness(stapleOCSP: false, clock: clock)
        defer { harness.stop() }
        try await harness.running {
            let old = try await harness.select(Harness.hello("example.test"))
            let leaf = try Certificate(derEncoded: old.certificateChain[0])
            harness.ca.failNext(1)  // the one renewal attempt made at the jump fails
            clock.advance(to: leaf.notValidAfter.addingTimeInterval(1))
            #expect(harness.manager.cachedKey(for: "example.test") == nil, "expired: not served, even before renewal is retried")
            #expect(harness.manager.immediateCertifiedKey(for: Harness.hello("example.test")) == nil)
            // Ended, not only begun: a handshake joining the failing renewal's flight would share its error.
            try await Poll.until("the failed renewal") { harness.ca.issueCount == 2 && !harness.manager.flights.isRunning("example.test") }
            let fresh = try await harness.select(Harness.hello("example.test"))
            #expect(try Certificate(derEncoded: fresh.certificateChain[0]).notValidAfter > clock.now)
            #expect(harness.ca.issueCount == 3)
        }
    }

    @Test("a name the host policy no longer allows is dropped at its renewal time: not served, not stapled, storage kept")
    func droppedNameIsForgotten() async throws {
        let clock = ManualClock(Date())
        let allowed = Locked(true)
        let harness = try Harness(hostPolicy: HostPolicy { name in name == "example.test" && allowed.withLock { $0 } }, clock: clock)
        defer { harness.stop() }
        try await harness.running {
            let key = try await harness.select(Harness.hello("example.test"))
            let id = try #require(harness.manager.served.withLock { $0["example.test"]?.stapleID })
            #expect(harness.manager.stapler?.info(for: id) != nil)
            allowed.withLock { $0 = false }
            let leaf = try Certificate(derEncoded: key.certificateChain[0])
            clock.advance(to: leaf.notValidAfter.addingTimeInterval(-20 * 86_400))  // past the renewal time
            try await Poll.until("the name to be dropped") { harness.manager.cachedKey(for: "example.test") == nil }
            #expect(harness.manager.stapler?.info(for: id) == nil, "no longer stapled")
            #expect(harness.manager.schedule.withLock { $0.plans["example.test"] } == nil)
            #expect(try await harness.storage.get("example.test") != nil, "storage is kept")
            await #expect(throws: AutocertError.self) { try await harness.select(Harness.hello("example.test")) }
        }
        #expect(harness.ca.issueCount == 1)
    }
}
