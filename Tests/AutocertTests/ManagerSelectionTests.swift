@testable import Autocert
import AutocertACME
import AutocertStapling
import AutocertTestSupport
import AutocertTLS
import Foundation
import Testing
import X509

@Suite("Manager: selection")
struct ManagerSelectionTests {
    @Test("a new name is issued, stapled right after issuance, then served warm: the same CertifiedKey with its staple")
    func newNameThenWarm() async throws {
        let harness = try Harness(names: ["example.test"])
        defer { harness.stop() }
        try await harness.running {
            let first = try await harness.select(Harness.hello("example.test"))
            #expect(harness.ca.issueCount == 1)
            #expect(first.ocspStaple != nil, "the first staple is fetched before the handshake goes on; log:\n\(harness.logs.text)")
            #expect(harness.ocsp.requestCount == 1)
            let again = try await harness.select(Harness.hello("EXAMPLE.test."))
            let cached = try #require(harness.manager.cachedKey(for: "example.test"))
            #expect(again.identity == first.identity)
            #expect(cached.identity == first.identity)
            #expect(cached.ocspStaple == first.ocspStaple)
            #expect(harness.ca.issueCount == 1)
            let leaf = try Certificate(derEncoded: first.certificateChain[0])
            #expect(leaf.publicKey == (try Certificate.PrivateKey(derBytes: first.privateKey)).publicKey)
        }
        #expect(harness.events.contains { if case .obtained(name: "example.test", _, _) = $0 { true } else { false } })
    }

    @Test("with stapleOCSP off no OCSP request is made and no staple is served")
    func stapleOCSPOff() async throws {
        let harness = try Harness(names: ["example.test"], stapleOCSP: false)
        defer { harness.stop() }
        let key = try await harness.select(Harness.hello("example.test"))
        #expect(key.ocspStaple == nil)
        #expect(harness.manager.stapler == nil)
        #expect(harness.ocsp.requestCount == 0)
    }

    @Test("during an order the selector answers acme-tls/1 with the challenge certificate (RFC 8737 §3)")
    func tlsALPNChallengeServed() async throws {
        let harness = try Harness(names: ["example.test"], stapleOCSP: false)
        defer { harness.stop() }
        harness.ca.checkChallenge { name in
            guard let key = try? await harness.select(Harness.hello(name, alpn: [ClientHello.acmeTLSProtocol])) else { return false }
            return key.identity == harness.manager.challenges.tlsALPN01Certificate(for: name)?.identity
        }
        _ = try await harness.select(Harness.hello("example.test"))
        #expect(harness.ca.issued.first?.challengeServed == true)
        #expect(harness.manager.challenges.tlsALPN01Certificate(for: "example.test") == nil, "the answer is withdrawn afterwards")
    }

    @Test("a failed issuance is reported, backs off, and is retried after the backoff")
    func failureBacksOff() async throws {
        let clock = ManualClock(Date())
        let harness = try Harness(names: ["example.test"], stapleOCSP: false, clock: clock)
        defer { harness.stop() }
        harness.ca.failNext(1)
        let first = await #expect(throws: AutocertError.self) { try await harness.select(Harness.hello("example.test")) }
        #expect(first?.code == .issuanceFailed)
        let second = await #expect(throws: AutocertError.self) { try await harness.select(Harness.hello("example.test")) }
        #expect(second?.code == .recentlyFailed)
        #expect(harness.ca.issueCount == 1)
        clock.advance(by: 3 * 60)
        _ = try await harness.select(Harness.hello("example.test"))
        #expect(harness.ca.issueCount == 2)
    }

    @Test("a CA's rate limit Retry-After (RFC 8555 §6.6) holds further orders for the name until it passes")
    func rateLimitRetryAfter() async throws {
        let clock = ManualClock(Date())
        let harness = try Harness(names: ["example.test"], stapleOCSP: false, clock: clock)
        defer { harness.stop() }
        harness.ca.failNext(1, with: ACMEError(.rateLimited, "too many certificates", retryAfter: .seconds(7200)))
        await #expect(throws: AutocertError.self) { try await harness.select(Harness.hello("example.test")) }
        clock.advance(by: 3600)
        let held = await #expect(throws: AutocertError.self) { try await harness.select(Harness.hello("example.test")) }
        #expect(held?.code == .recentlyFailed)
        #expect(harness.ca.issueCount == 1)
        clock.advance(by: 3601)
        _ = try await harness.select(Harness.hello("example.test"))
        #expect(harness.ca.issueCount == 2)
    }
}
