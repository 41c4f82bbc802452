@testable import Autocert
import AutocertStapling
import AutocertStorage
import AutocertTestSupport
import AutocertTLS
import _CryptoExtras
import Foundation
import Testing
import X509

@Suite("Manager: staples on the stored path")
struct StaplingPathTests {
    @Test("after a restart the staple comes from storage: no OCSP request before the first handshake completes")
    func stapleFromStorage() async throws {
        let ca = try FakeCA()
        let storage = MemoryStorage()
        let first = try Harness(storage: storage, ca: ca)
        let issued = try await first.running { try await first.select(Harness.hello("example.test")) }
        first.stop()
        let staple = try #require(issued.ocspStaple)
        #expect(storage.names.contains { $0.hasPrefix("ocsp-") })

        let restarted = try Harness(storage: storage, ca: ca)
        defer { restarted.stop() }
        restarted.ocsp.setDown(true)
        try await restarted.running {
            let loaded = try await restarted.select(Harness.hello("example.test"))
            #expect(loaded.ocspStaple == staple)
            #expect(loaded.certificateChain == issued.certificateChain)
        }
        #expect(ca.issueCount == 1)
        #expect(restarted.ocsp.requestCount == 0)
    }

    @Test("with the responder down the certificate is served without a staple, and the background refresh staples it later")
    func responderDown() async throws {
        var stapling = StaplingManager.Configuration()
        stapling.policy.retryFloor = .milliseconds(50)
        stapling.policy.retryCeiling = .milliseconds(100)
        let harness = try Harness(stapling: stapling)
        defer { harness.stop() }
        harness.ocsp.setDown(true)
        try await harness.running {
            let key = try await harness.select(Harness.hello("example.test"))
            #expect(key.ocspStaple == nil)
            harness.ocsp.setDown(false)
            try await Poll.until("the background refresh to staple it") {
                harness.manager.cachedKey(for: "example.test")?.ocspStaple != nil
            }
            let stapled = try #require(harness.manager.cachedKey(for: "example.test"))
            #expect(stapled.certificateChain == key.certificateChain)
            // The staple source seam: a new staple changes no CertifiedKey (the backends keep
            // their context); the key handed out before answers with the new staple too.
            #expect(stapled.identity == key.identity, "a new staple is the same CertifiedKey")
            #expect(key.ocspStaple != nil, "the key handed out earlier staples the new staple")
        }
        #expect(harness.ca.issueCount == 1)
    }

    @Test("the warm path serves each refreshed staple as the stapler installs it, and never one past its end")
    func warmPathFollowsTheStapler() async throws {
        let clock = ManualClock()
        let harness = try Harness(clock: clock)
        defer { harness.stop() }
        try await harness.running {
            let first = try await harness.select(Harness.hello("example.test"))
            let firstStaple = try #require(first.ocspStaple)
            #expect(harness.manager.immediateCertifiedKey(for: Harness.hello("example.test"))?.identity == first.identity)

            // The refresh falls within the 4-day window's middle band, at the latest a quarter
            // of it before its end (3 days): the key's staple source answers with it.
            clock.advance(by: 3 * 86_400)
            try await Poll.until("the refreshed staple on the warm path") {
                harness.ocsp.requestCount == 2 && harness.manager.cachedKey(for: "example.test")?.ocspStaple != firstStaple
            }
            let refreshed = try #require(harness.manager.immediateCertifiedKey(for: Harness.hello("example.test")))
            let refreshedStaple = try #require(refreshed.ocspStaple)
            #expect(refreshedStaple != firstStaple)
            #expect(refreshed.certificateChain == first.certificateChain)

            // The responder goes down; once the refreshed staple's nextUpdate passes, the
            // certificate is served without it at once, before the stapler's loop runs.
            harness.ocsp.setDown(true)
            clock.advance(by: 4 * 86_400)
            let expired = try #require(harness.manager.immediateCertifiedKey(for: Harness.hello("example.test")))
            #expect(expired.ocspStaple == nil)
            #expect(expired.certificateChain == first.certificateChain)
        }
    }

    @Test("an RSA key type gives RSA certificate keys, stored and read back")
    func rsaKeys() async throws {
        let harness = try Harness(stapleOCSP: false, keyType: .rsa2048)
        defer { harness.stop() }
        let key = try await harness.select(Harness.hello("example.test"))
        let leaf = try Certificate(derEncoded: key.certificateChain[0])
        #expect(_RSA.Signing.PublicKey(leaf.publicKey) != nil)
        let stored = try #require(try await harness.storage.get("example.test"))
        #expect(try CertificateRecord(name: "example.test", pem: String(decoding: stored, as: UTF8.self), now: Date()).chain == key.certificateChain)
    }
}
