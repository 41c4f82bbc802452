import AutocertACME
import AutocertCurl
import AutocertHTTP
import AutocertTestSupport
import Foundation
import Logging
import Testing
import X509

/// A running Pebble plus an ACME client that trusts its HTTPS root, for one test.
struct PebbleFixture {
    let pebble: PebbleHarness
    let client: ACMEClient
    let transport: CurlTransport

    /// Runs `body` against a fresh Pebble, then stops it by PID whatever happened.
    static func with(_ options: PebbleHarness.Options = PebbleHarness.Options(), _ body: (PebbleFixture) async throws -> Void) async throws {
        let pebble = try await PebbleHarness(options)
        let transport = CurlTransport(configuration: .init(caBundlePath: pebble.httpsRootPEMFile))
        var logger = Logger(label: "acme-test")
        logger.logLevel = .warning
        let client = ACMEClient(directoryURL: pebble.directoryURL, transport: transport, configuration: .pebble, logger: logger)
        let fixture = PebbleFixture(pebble: pebble, client: client, transport: transport)
        do {
            try await body(fixture)
            fixture.report()
            await pebble.stop()
        } catch {
            fixture.report()
            print("pebble output (tail):\n" + String(pebble.pebbleOutput.suffix(3000)))
            await pebble.stop()
            throw error
        }
    }

    func report() {
        let statistics = client.statistics
        print("ACME statistics: \(statistics.signedRequests) signed requests, \(statistics.badNonceRetries) badNonce retries")
    }

    /// A new account with a fresh P-256 key.
    func newAccount() async throws -> ACMEAccount {
        try await client.createAccount(key: .generateP256(), contact: ["mailto:test@example.com"], termsOfServiceAgreed: true)
    }

    /// Pebble's issuing root number `index` (management `/roots/N`), for chain verification.
    func issuingRoot(_ index: Int = 0) async throws -> Certificate {
        let response = try await transport.send(HTTPRequest(method: .get, url: pebble.issuingRootURL(index)), limits: HTTPLimits())
        try #require(response.status == 200)
        return try Certificate(pemEncoded: String(decoding: response.body, as: UTF8.self))
    }

    /// Verifies `chain` up to `root` with RFC 5280 rules and checks the leaf names.
    func verify(_ chain: ACMECertificateChain, root: Certificate, names: [String]) async throws {
        let certificates = try chain.certificates()
        let leaf = try #require(certificates.first)
        var verifier = Verifier(rootCertificates: CertificateStore([root])) { RFC5280Policy() }
        let result = await verifier.validate(leaf: leaf, intermediates: CertificateStore(certificates.dropFirst()))
        guard case .validCertificate(let validated) = result else {
            Issue.record("the chain does not verify against Pebble's root: \(result)")
            return
        }
        #expect(validated.last == root)
        let sans = try #require(try leaf.extensions.subjectAlternativeNames)
        #expect(Set(sans) == Set(names.map { GeneralName.dnsName($0) }))
    }

    /// Answers every pending authorization of `order` with tls-alpn-01, one name at a time.
    func answerTLSALPN(_ order: ACMEOrder, account: ACMEAccount, directory: TemporaryDirectory) async throws {
        for url in order.resource.authorizations {
            let authorization = try await client.authorization(at: url, account: account)
            guard authorization.status == .pending else { continue }
            let challenge = try #require(authorization.challenge(ACMEChallenge.tlsALPN01))
            let certificate = try TLSALPNChallengeCertificate(name: authorization.identifier.value, keyAuthorization: challenge.keyAuthorization(for: account.key))
            let responder = try await TLSALPNResponder(port: pebble.tlsPort, certificate: certificate, in: directory)
            do {
                _ = try await client.respond(to: challenge, account: account)
                let valid = try await client.waitForAuthorization(at: url, account: account)
                #expect(valid.status == .valid)
                await responder.stop()
            } catch {
                await responder.stop()
                throw error
            }
        }
    }
}
