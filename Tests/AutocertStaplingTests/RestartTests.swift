import AutocertHTTP
import AutocertOCSP
@testable import AutocertStapling
import AutocertStorage
import AutocertTestSupport
import Foundation
import Testing

/// Persisted staples: re-verified, then served at once with no network; anything else is refused.
@Suite("Stapler: persisted staples after a restart")
struct RestartTests {
    typealias Fixture = StaplingManagerScheduleTests.Fixture

    /// Fetches one staple with a first manager and returns the storage holding it.
    func persistedStaple(_ fixture: Fixture, storage: any BlobStorage) async throws -> (StapleID, [UInt8]) {
        let harness = Harness(clock: fixture.clock, transport: fixture.responder(validity: 4 * 86_400), storage: storage)
        let id = await harness.manager.add(fixture.subject)
        harness.start()
        let staple = try #require(await harness.manager.firstStaple(for: id))
        try await Poll.until("the staple to be persisted") { try await storage.get(id.storageName) == staple }
        await harness.stop()
        return (id, staple)
    }

    static func down() -> ScriptTransport {
        ScriptTransport { _ in throw HTTPTransportError(.connectionFailed, "the responder is down") }
    }

    @Test("a persisted staple is served at once, before run() and with the responder down, and refreshed at its restored midpoint")
    func aPersistedStapleIsServedAtOnceWithTheResponderDown() async throws {
        let fixture = try Fixture()
        let directory = try TemporaryDirectory(prefix: "stapling-restart")
        defer { directory.remove() }
        let storage = try DirectoryStorage(path: directory.path)
        let (id, staple) = try await persistedStaple(fixture, storage: storage)
        fixture.clock.advance(by: 3600)
        let down = Self.down()
        let harness = Harness(clock: fixture.clock, transport: down, storage: storage)
        #expect(await harness.manager.add(fixture.subject) == id)
        #expect(harness.manager.staple(for: id) == staple, "served before run() starts")
        #expect(harness.manager.info(for: id)?.condition == .stapled)
        #expect(down.requestCount == 0)
        // Its refresh follows the restored window: midpoint of 4 days after thisUpdate.
        #expect(harness.manager.info(for: id)?.nextAttempt == fixture.clock.now.addingTimeInterval(2 * 86_400 - 3600))
    }

    @Test("a staple restored past its refresh point is still served and refreshed at once")
    func aStapleRestoredPastItsRefreshPointIsRefreshedAtOnce() async throws {
        let fixture = try Fixture()
        let storage = MemoryStorage()
        let (id, staple) = try await persistedStaple(fixture, storage: storage)
        fixture.clock.advance(by: 3 * 86_400)
        let harness = Harness(clock: fixture.clock, transport: fixture.responder(), storage: storage)
        await harness.manager.add(fixture.subject)
        #expect(harness.manager.staple(for: id) == staple)
        #expect(harness.manager.info(for: id)?.nextAttempt == fixture.clock.now)
    }

    @Test("a tampered persisted staple is rejected, not served")
    func aTamperedPersistedStapleIsRejectedNotServed() async throws {
        let fixture = try Fixture()
        let storage = MemoryStorage()
        let (id, staple) = try await persistedStaple(fixture, storage: storage)
        var tampered = staple
        tampered[tampered.count - 5] ^= 0x01  // inside the signature
        try await storage.put(id.storageName, tampered)
        let harness = Harness(clock: fixture.clock, transport: Self.down(), storage: storage)
        await harness.manager.add(fixture.subject)
        #expect(harness.manager.staple(for: id) == nil)
        #expect(harness.manager.info(for: id)?.condition == .pending)
        #expect(harness.metrics.counterTotal(label: "autocert_stapling_failures_total", dimensions: [("reason", "persistedRejected")]) == 1)
    }

    @Test("another certificate's staple stored under this certificate's name is not served")
    func anotherCertificatesStapleUnderThisNameIsRejected() async throws {
        let fixture = try Fixture()
        let storage = MemoryStorage()
        let (_, staple) = try await persistedStaple(fixture, storage: storage)
        let otherLeaf = try fixture.pki.leaf("other.test", notBefore: fixture.clock.now.addingTimeInterval(-60), ocspURL: "http://ocsp.test/")
        let otherID = StapleID(certificate: otherLeaf)
        try await storage.put(otherID.storageName, staple)
        let harness = Harness(clock: fixture.clock, transport: Self.down(), storage: storage)
        await harness.manager.add(try fixture.pki.subject(otherLeaf))
        #expect(harness.manager.staple(for: otherID) == nil)
    }

    @Test("a persisted staple past its nextUpdate is not served")
    func anExpiredPersistedStapleIsNotServed() async throws {
        let fixture = try Fixture()
        let storage = MemoryStorage()
        let (id, _) = try await persistedStaple(fixture, storage: storage)
        fixture.clock.advance(by: 4 * 86_400)
        let harness = Harness(clock: fixture.clock, transport: Self.down(), storage: storage)
        await harness.manager.add(fixture.subject)
        #expect(harness.manager.staple(for: id) == nil)
    }
}
