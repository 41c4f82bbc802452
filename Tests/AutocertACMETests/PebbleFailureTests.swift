import AutocertACME
import AutocertTestSupport
import Foundation
import Testing

/// Failures Pebble produces: validation that fails, names it refuses, URLs that are not ACME.
@Suite("ACMEClient against Pebble: failed validation, refused names, URLs that are not ACME", .serialized)
struct PebbleFailureTests {
    @Test("a challenge nobody answers fails with the CA's problem detail, the order fails, and the client stays usable")
    func aChallengeNobodyAnswersFailsWithTheCAsDetail() async throws {
        try await PebbleFixture.with { fixture in
            let client = fixture.client
            let account = try await fixture.newAccount()
            let order = try await client.newOrder(for: ["nobody-home.example.com"], account: account)
            let url = try #require(order.resource.authorizations.first)
            let challenge = try #require(try await client.authorization(at: url, account: account).challenge(ACMEChallenge.http01))
            _ = try await client.respond(to: challenge, account: account)
            do {
                _ = try await client.waitForAuthorization(at: url, account: account)
                Issue.record("validation succeeded with nothing listening")
            } catch let error as ACMEError {
                #expect(error.code == .validationFailed)
                #expect(error.problem?.type.hasPrefix("urn:ietf:params:acme:error:") == true)
                #expect(error.problem?.detail?.isEmpty == false)
                #expect(error.reason.contains("nobody-home.example.com"))
            }
            do {
                _ = try await client.waitForOrder(order, account: account)
                Issue.record("the order did not fail")
            } catch let error as ACMEError {
                #expect(error.code == .orderFailed)
            }
            // The client is still usable: nothing was left half-done.
            #expect(try await client.refresh(account).resource.status == .valid)
        }
    }

    @Test("a tls-alpn-01 certificate with the wrong acmeIdentifier digest is rejected")
    func aTLSALPNCertificateWithTheWrongDigestIsRejected() async throws {
        try await PebbleFixture.with { fixture in
            let client = fixture.client
            let directory = try TemporaryDirectory(prefix: "acme-alpn-wrong")
            defer { directory.remove() }
            let account = try await fixture.newAccount()
            let order = try await client.newOrder(for: ["wrong-digest.example.com"], account: account)
            let url = try #require(order.resource.authorizations.first)
            let challenge = try #require(try await client.authorization(at: url, account: account).challenge(ACMEChallenge.tlsALPN01))
            let certificate = try TLSALPNChallengeCertificate(name: "wrong-digest.example.com", keyAuthorization: "not-the-token.not-the-thumbprint")
            let responder = try await TLSALPNResponder(port: fixture.pebble.tlsPort, certificate: certificate, in: directory)
            let outcome: Result<ACMEAuthorization, any Error>
            do {
                _ = try await client.respond(to: challenge, account: account)
                outcome = .success(try await client.waitForAuthorization(at: url, account: account))
            } catch {
                outcome = .failure(error)
            }
            await responder.stop()
            guard case .failure(let failure) = outcome, let error = failure as? ACMEError else {
                Issue.record("a wrong acmeIdentifier digest was not refused as expected: \(outcome)")
                return
            }
            #expect(error.code == .validationFailed)
            #expect(error.problem?.detail?.isEmpty == false, "\(error)")
        }
    }

    @Test("a blocked name and a malformed name are refused with the CA's problem, and no names at all are refused")
    func namesTheCARefuses() async throws {
        var options = PebbleHarness.Options()
        options.domainBlocklist = ["blocked.example.com"]
        try await PebbleFixture.with(options) { fixture in
            let client = fixture.client
            let account = try await fixture.newAccount()
            for (names, problem) in [(["ok.example.com", "blocked.example.com"], "rejectedIdentifier"), (["bad_name.example.com"], "malformed")] {
                do {
                    _ = try await client.newOrder(for: names, account: account)
                    Issue.record("the CA accepted \(names)")
                } catch let error as ACMEError {
                    #expect(error.code == .serverProblem)
                    #expect(error.problemName == problem, "\(error)")
                    #expect(error.status == 400)
                    #expect(error.problem?.detail?.isEmpty == false)
                }
            }
            await #expect(throws: ACMEError.self) { try await client.newOrder(for: [], account: account) }
        }
    }

    @Test("URLs that are not an ACME directory are notACME, and an untrusted root is a transport error")
    func urlsThatAreNotACMEAndAnUntrustedRoot() async throws {
        try await PebbleFixture.with { fixture in
            let responder = try HTTP01Responder(port: fixture.pebble.httpPort)
            defer { responder.stop() }
            for url in ["\(fixture.pebble.managementURL)/roots/0", "http://127.0.0.1:\(fixture.pebble.httpPort)/directory"] {
                let client = ACMEClient(directoryURL: url, transport: fixture.transport)
                do {
                    _ = try await client.directory()
                    Issue.record("\(url) was taken for an ACME directory")
                } catch let error as ACMEError {
                    #expect(error.code == .notACME, "\(error)")
                }
            }
            // Without Pebble's root the TLS handshake is refused, never silently accepted.
            let untrusting = ACMEClient(directoryURL: fixture.pebble.directoryURL, trustedRootsPEMFile: nil)
            do {
                _ = try await untrusting.directory()
                Issue.record("an untrusted HTTPS directory was accepted")
            } catch let error as ACMEError {
                #expect(error.code == .transport)
                #expect(error.reason.contains("CA"), "\(error)")
            }
        }
    }
}
