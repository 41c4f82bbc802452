import AutocertACME
import AutocertTestSupport
import Foundation
import Testing
import X509

/// The ACME client against Pebble, with Pebble's 15 % badNonce rejection on.
@Suite("ACMEClient against Pebble, with 15 % badNonce rejection", .serialized)
struct PebbleTests {
    @Test("an account is created, found, updated, rolled over to a new key and deactivated, after which it cannot order")
    func accountLifecycle() async throws {
        try await PebbleFixture.with { fixture in
            let client = fixture.client
            let key = ACMEAccountKey.generateP256()
            await #expect(throws: ACMEError.self) { try await client.findAccount(key: key) }
            do {
                _ = try await client.findAccount(key: key)
            } catch let error as ACMEError {
                #expect(error.code == .serverProblem)
                #expect(error.problemName == "accountDoesNotExist")
                #expect(error.status == 400)
            }
            let account = try await client.createAccount(key: key, contact: ["mailto:a@example.com"], termsOfServiceAgreed: true)
            #expect(account.resource.status == .valid)
            #expect(account.url.hasPrefix("https://127.0.0.1:"))

            let found = try await client.findAccount(key: key)
            #expect(found.url == account.url)
            let again = try await client.createAccount(key: key, termsOfServiceAgreed: true)
            #expect(again.url == account.url)

            let updated = try await client.updateContact(account, contact: ["mailto:b@example.com"])
            #expect(updated.resource.contact == ["mailto:b@example.com"])

            let newKey = ACMEAccountKey.generateP256()
            let rolled = try await client.rollOver(account, to: newKey)
            #expect(try await client.findAccount(key: newKey).url == account.url)
            await #expect(throws: ACMEError.self) { try await client.findAccount(key: key) }

            let deactivated = try await client.deactivate(rolled)
            #expect(deactivated.resource.status == .deactivated)
            do {
                _ = try await client.newOrder(for: ["gone.example.com"], account: rolled)
                Issue.record("a deactivated account could order")
            } catch let error as ACMEError {
                #expect(error.code == .serverProblem)
                #expect(error.problem?.detail != nil)
            }
        }
    }

    @Test("when external account binding is required, none or a wrong MAC key is refused and the right one creates an account")
    func externalAccountBinding() async throws {
        var options = PebbleHarness.Options()
        let macKey = "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W"
        options.externalAccountMACKeys = ["kid-1": macKey]
        options.externalAccountBindingRequired = true
        try await PebbleFixture.with(options) { fixture in
            let client = fixture.client
            #expect(try await client.directory().meta?.externalAccountRequired == true)
            do {
                _ = try await client.createAccount(key: .generateP256(), termsOfServiceAgreed: true)
                Issue.record("an account was created without the required EAB")
            } catch let error as ACMEError {
                #expect(error.code == .invalidInput)
            }
            let wrong = ExternalAccountBinding(keyID: "kid-1", macKey: Array(repeating: 7, count: 32))
            do {
                _ = try await client.createAccount(key: .generateP256(), termsOfServiceAgreed: true, externalAccountBinding: wrong)
                Issue.record("a wrong MAC key was accepted")
            } catch let error as ACMEError {
                #expect(error.code == .serverProblem)
                #expect(error.problem?.detail?.isEmpty == false)
            }
            let binding = try ExternalAccountBinding(keyID: "kid-1", base64URLMACKey: macKey)
            let account = try await client.createAccount(key: .generateP256(), contact: ["mailto:eab@example.com"], termsOfServiceAgreed: true, externalAccountBinding: binding)
            #expect(account.resource.status == .valid)
        }
    }

    @Test("a tls-alpn-01 order for two names is issued and verifies, then is revoked with the account key, once only")
    func tlsALPN01OrderForTwoNamesThenRevokeWithTheAccountKey() async throws {
        try await PebbleFixture.with { fixture in
            let client = fixture.client
            let directory = try TemporaryDirectory(prefix: "acme-alpn")
            defer { directory.remove() }
            let names = ["alpn-one.example.com", "alpn-two.example.com"]
            let account = try await fixture.newAccount()
            let order = try await client.newOrder(for: names, account: account)
            #expect(order.status == .pending)
            #expect(order.resource.authorizations.count == 2)
            try await fixture.answerTLSALPN(order, account: account, directory: directory)

            let ready = try await client.waitForOrder(order, account: account)
            #expect(ready.status == .ready)
            let key = try ACMECertificateKey.generate(.p256)
            let valid = try await client.finalize(ready, csrDER: try CSRBuilder.csr(for: names, key: key), account: account)
            #expect(valid.status == .valid)
            let chain = try await client.downloadCertificate(for: valid, account: account)
            #expect(chain.certificatesDER.count >= 2)
            try await fixture.verify(chain, root: try await fixture.issuingRoot(0), names: names)
            #expect(try chain.certificates()[0].publicKey == key.privateKey.publicKey)

            try await client.revoke(certificateDER: chain.certificatesDER[0], reason: .superseded, signer: .account(account))
            do {
                try await client.revoke(certificateDER: chain.certificatesDER[0], reason: .superseded, signer: .account(account))
                Issue.record("a second revocation succeeded")
            } catch let error as ACMEError {
                #expect(error.code == .serverProblem)
                #expect(error.problemName == "alreadyRevoked")
                #expect(error.problem?.detail?.isEmpty == false)
            }
        }
    }

    @Test("an http-01 order with an RSA key is issued and cleaned up, its alternate chain verifies, and the certificate key revokes it, once only")
    func http01OrderWithRSAKeyMustStapleAlternateChainsAndRevocationByCertificateKey() async throws {
        var options = PebbleHarness.Options()
        options.alternateRoots = 1
        try await PebbleFixture.with(options) { fixture in
            let client = fixture.client
            let names = ["http-one.example.com", "http-two.example.com"]
            let account = try await fixture.newAccount()
            let responder = try HTTP01Responder(port: fixture.pebble.httpPort)
            defer { responder.stop() }
            let key = try ACMECertificateKey.generate(.rsa2048)
            let issued = try await client.issueCertificate(for: names, account: account, solver: HTTP01Solver(responder: responder), key: key, mustStaple: true)
            #expect(issued.order.status == .valid)
            #expect(responder.requestLines.count >= 2)
            #expect(responder.servedPaths.isEmpty)  // cleaned up
            let chain = issued.chain
            try await fixture.verify(chain, root: try await fixture.issuingRoot(0), names: names)
            let leaf = try chain.certificates()[0]
            #expect(leaf.publicKey == key.privateKey.publicKey)
            // Pebble 2.4 does not copy the CSR's TLS Feature (Must-Staple) extension into the
            // certificate; CertificateBuildingTests checks that the CSR carries it.

            #expect(chain.alternateURLs.count == 1)
            let alternate = try await client.downloadCertificate(at: try #require(chain.alternateURLs.first), account: account)
            #expect(alternate.certificatesDER[0] == chain.certificatesDER[0])
            try await fixture.verify(alternate, root: try await fixture.issuingRoot(1), names: names)

            try await client.revoke(certificateDER: chain.certificatesDER[0], reason: .keyCompromise, signer: .certificateKey(key.signingKey))
            do {
                try await client.revoke(certificateDER: chain.certificatesDER[0], signer: .certificateKey(key.signingKey))
                Issue.record("a second revocation succeeded")
            } catch let error as ACMEError {
                #expect(error.problemName == "alreadyRevoked")
            }
        }
    }

    @Test("8 concurrent orders through one client each get their own order")
    func concurrentRequestsShareOneClient() async throws {
        try await PebbleFixture.with { fixture in
            let client = fixture.client
            let account = try await fixture.newAccount()
            let orders = try await withThrowingTaskGroup(of: ACMEOrder.self) { group in
                for index in 0..<8 {
                    group.addTask { try await client.newOrder(for: ["concurrent-\(index).example.com"], account: account) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(Set(orders.map(\.url)).count == 8)
            for order in orders {
                #expect(try await client.order(at: order.url, account: account).status == .pending)
            }
        }
    }

    @Test("a dns-01 order through Pebble's challenge test server is issued and verifies")
    func dns01ThroughTheChallengeServer() async throws {
        try await PebbleFixture.with { fixture in
            let names = ["dns-one.example.com"]
            let account = try await fixture.newAccount()
            let solver = DNS01Solver(managementPort: fixture.pebble.challengeServerManagementPort, transport: fixture.transport)
            let issued = try await fixture.client.issueCertificate(for: names, account: account, solver: solver)
            try await fixture.verify(issued.chain, root: try await fixture.issuingRoot(0), names: names)
        }
    }
}
