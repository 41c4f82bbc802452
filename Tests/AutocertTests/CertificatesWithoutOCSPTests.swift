@testable import Autocert
import AutocertACME
import AutocertStorage
import AutocertTestSupport
import Foundation
import Testing

/// Certificates without OCSP (Let's Encrypt's since 2025) are the normal case: served without a
/// staple and without a warning, healthy, and never the reason to ask for Must-Staple.
@Suite("Manager: certificates without OCSP are the normal case")
struct CertificatesWithoutOCSPTests {
    @Test("a certificate without an OCSP URL is served without a staple and without a warning, and the stapler counts it healthy")
    func servedWithoutStapleOrWarning() async throws {
        let harness = try Harness()
        defer { harness.stop() }
        harness.ca.issueWithoutOCSP()
        try await harness.running {
            let key = try await harness.select(Harness.hello("example.test"))
            #expect(key.ocspStaple == nil)
            let health = try #require(harness.manager.stapler?.health())
            #expect(health.isHealthy && health.withoutOCSP == 1 && health.certificates == 1)
        }
        #expect(!harness.logs.messages.contains { $0.hasPrefix("warning") || $0.hasPrefix("error") }, "\(harness.logs.text)")
        #expect(harness.ocsp.requestCount == 0)
    }

    @Test("Must-Staple is asked of an unknown CA once, and not again after its certificate comes without an OCSP URL")
    func mustStapleLearntFromTheCertificate() async throws {
        let harness = try Harness(names: ["a.test", "b.test"], mustStaple: true)
        defer { harness.stop() }
        harness.ca.issueWithoutOCSP()
        try await harness.running {
            _ = try await harness.select(Harness.hello("a.test"))
            _ = try await harness.select(Harness.hello("b.test"))
        }
        #expect(harness.ca.issued.map(\.mustStaple) == [true, false])
        #expect(harness.logs.contains(.notice, "Must-Staple is no longer asked"), "\(harness.logs.text)")
    }

    @Test("a CA that refuses a Must-Staple CSR gets the order again without it, and is not asked for it again")
    func mustStapleRefusedByTheCA() async throws {
        let harness = try Harness(names: ["a.test", "b.test"], mustStaple: true)
        defer { harness.stop() }
        harness.ca.refuseMustStaple()
        try await harness.running {
            _ = try await harness.select(Harness.hello("a.test"))
            _ = try await harness.select(Harness.hello("b.test"))
        }
        #expect(harness.ca.requests.map(\.mustStaple) == [true, false, false], "refused, again without, and the next name without")
        #expect(harness.ca.issued.count == 2)
    }

    @Test("Let's Encrypt is never asked for Must-Staple, even when it is configured")
    func letsEncryptNeverAsked() async throws {
        for directory in [Manager.Configuration.letsEncryptDirectoryURL, Manager.Configuration.letsEncryptStagingDirectoryURL] {
            let harness = try Harness(mustStaple: true, directoryURL: directory)
            defer { harness.stop() }
            try await harness.running { _ = try await harness.select(Harness.hello("example.test")) }
            #expect(harness.ca.requests.map(\.mustStaple) == [false], "\(directory)")
        }
    }
}

/// Short-lived certificates (Let's Encrypt's 160-hour `shortlived` profile): renewed in the
/// second half of their life, never stapled past their end, and storage stays bounded.
@Suite("Manager: short-lived certificates over a simulated year")
struct ShortLivedCertificateTests {
    /// Storage whose deletes of staples fail every other time: what crashes between a renewal
    /// and the old staple's deletion leave behind, for the housekeeping sweep to clean.
    final class LossyDeletes: BlobStorage {
        let inner = MemoryStorage()
        private let count = Locked(0)
        func get(_ name: String) async throws(StorageError) -> [UInt8]? { try await inner.get(name) }
        func put(_ name: String, _ bytes: [UInt8]) async throws(StorageError) { try await inner.put(name, bytes) }
        func list(prefix: String) async throws(StorageError) -> [String] { try await inner.list(prefix: prefix) }
        func delete(_ name: String) async throws(StorageError) {
            let fail = name.hasPrefix("ocsp-") && count.withLock { $0 += 1; return $0 % 2 == 1 }
            if fail { throw StorageError(.ioFailed, "injected: the delete did not happen") }
            try await inner.delete(name)
        }
    }

    @Test("a 160-hour certificate renews in the second half of its life, its staple never outlives it, and storage stays bounded for a year")
    func aYearOfShortLivedCertificates() async throws {
        let clock = ManualClock(Date(timeIntervalSince1970: 1_800_000_000))
        let lifetime: TimeInterval = 160 * 3600
        let storage = LossyDeletes()
        let harness = try Harness(storage: storage, clock: clock, lifetime: lifetime)
        defer { harness.stop() }
        let end = clock.now.addingTimeInterval(365 * 86_400)
        let mostStored = Locked(0)
        try await harness.running {
            var served = try await harness.select(Harness.hello("example.test"))
            while clock.now < end {
                clock.advance(by: 6 * 3600)
                // The certificate in service is renewed in the second half of its life, before it ends.
                let leaf = CertificateRecord.identifiers(ofCertificate: served.certificateChain[0])
                #expect(leaf == ["example.test"])
                // Settled: a valid certificate served, and no renewal due or running (this clock
                // jumps 6 hours at a time; a renewal takes real time to finish).
                try await Poll.until("a valid certificate served at \(clock.now), no renewal due or running") {
                    guard let key = harness.manager.cachedKey(for: "example.test"),
                          let plan = harness.manager.schedule.withLock({ $0.plans["example.test"] }),
                          !plan.inFlight, plan.due > clock.now,
                          !harness.manager.flights.isRunning("example.test") else { return false }
                    served = key
                    return true
                }
                if let until = harness.manager.served.withLock({ $0["example.test"]?.stapleID }).flatMap({ harness.manager.stapler?.currentStaple(for: $0)?.until }) {
                    #expect(until.timeIntervalSinceReferenceDate <= harness.manager.served.withLock { $0["example.test"]!.notAfter },
                            "a staple never outlives its certificate")
                }
                let count = storage.inner.names.count
                mostStored.withLock { $0 = max($0, count) }
            }
        }
        let issued = harness.ca.issued
        #expect(issued.count >= 55, "about 365 days / 3.3 days: \(issued.count)")
        for (old, new) in zip(issued, issued.dropFirst()) {
            let age = new.leaf.notValidBefore.addingTimeInterval(120).timeIntervalSince(old.leaf.notValidBefore.addingTimeInterval(120))
            #expect(age >= lifetime / 2 && age < lifetime, "renewed at \(age / 3600) h of a \(lifetime / 3600) h life")
        }
        // Record, its staple, and a few staples whose deletion failed awaiting the next sweep.
        let most = mostStored.withLock { $0 }
        #expect(most <= 8, "storage stays bounded: at most \(most) blobs, names now \(storage.inner.names)")
    }
}
