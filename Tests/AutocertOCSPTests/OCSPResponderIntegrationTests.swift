import AutocertCurl
import AutocertOCSP
import AutocertTestSupport
import Foundation
import Testing

/// Lookups against a real `openssl ocsp` responder on 127.0.0.1, through the library.
@Suite("OCSPClient against openssl ocsp", .serialized)
struct OCSPResponderIntegrationTests {
    /// A CA, three leaves (good, revoked, not in the index) and a running responder.
    struct Setup {
        let directory: TemporaryDirectory
        let pki: TestPKI
        let good: TestPKI.Issued
        let revoked: TestPKI.Issued
        let unlisted: TestPKI.Issued
        let responder: OpenSSLOCSPResponder

        static func start(keyType: TestPKI.KeyType = .ecdsaP256, delegated: Bool = false, withOCSPSigning: Bool = true, embedCertificates: Bool = true) async throws -> Setup {
            let directory = try TemporaryDirectory()
            let pki = try await TestPKI.create(in: directory.path, keyType: keyType)
            let port = try FreePort.allocate()
            let url = "http://127.0.0.1:\(port)"
            let good = try await pki.issueLeaf("good.test", ocspURL: url)
            let revoked = try await pki.issueLeaf("revoked.test", ocspURL: url)
            let unlisted = try await pki.issueLeaf("unlisted.test", ocspURL: url)
            let signer = delegated ? try await pki.issueResponder(withOCSPSigning: withOCSPSigning) : nil
            let responder = try await OpenSSLOCSPResponder(
                pki: pki, certificates: [good, revoked], signer: signer, port: port, includeSignerCertificate: embedCertificates)
            try await responder.revoke(serialHex: revoked.serialHex, reason: "keyCompromise")
            return Setup(directory: directory, pki: pki, good: good, revoked: revoked, unlisted: unlisted, responder: responder)
        }

        func subject(_ issued: TestPKI.Issued) throws -> OCSPSubject {
            try OCSPSubject(pem: String(contentsOfFile: issued.chainPath, encoding: .utf8))
        }

        func stop() async {
            await responder.stop()
            directory.remove()
        }
    }

    static let setups: [(String, TestPKI.KeyType, Bool, Bool)] = [
        ("issuer-signed ECDSA, certs embedded", .ecdsaP256, false, true),
        ("issuer-signed ECDSA, no certs", .ecdsaP256, false, false),
        ("issuer-signed RSA", .rsa2048, false, true),
        ("delegated responder", .ecdsaP256, true, true),
    ]

    @Test("good, revoked and unlisted certificates read as good, revoked and unknown, and the good answer verifies again offline", arguments: setups)
    func goodRevokedAndUnknown(name: String, keyType: TestPKI.KeyType, delegated: Bool, embed: Bool) async throws {
        let setup = try await Setup.start(keyType: keyType, delegated: delegated, embedCertificates: embed)
        defer { Task { await setup.stop() } }
        let client = OCSPClient(transport: .curl)

        let good = try await client.check(setup.subject(setup.good))
        #expect(good.status == .good)
        #expect(good.responderURL == setup.responder.url)
        #expect(good.nextUpdate != nil)
        if delegated {
            guard case .delegated = good.signer else { Issue.record("expected a delegated signer"); return }
        } else {
            #expect(good.signer == .issuer)
        }
        // The staple bytes verify again offline, as a server would re-check them.
        #expect(try OCSPVerifier(subject: setup.subject(setup.good)).verify(good.derBytes).status == .good)

        let revoked = try await client.check(setup.subject(setup.revoked))
        #expect(revoked.revocationReason == .keyCompromise)
        #expect(revoked.revocationTime != nil)

        let unknown = try await client.check(setup.subject(setup.unlisted))
        #expect(unknown.status == .unknown)
        await setup.stop()
    }

    @Test("a SHA-256 CertID is answered too")
    func sha256CertIDIsAnsweredToo() async throws {
        let setup = try await Setup.start()
        defer { Task { await setup.stop() } }
        let client = OCSPClient(transport: .curl, configuration: .init(hashAlgorithm: .sha256))
        let answer = try await client.check(setup.subject(setup.good))
        #expect(answer.status == .good)
        #expect(try answer.certID == setup.subject(setup.good).certID(hash: .sha256))
        await setup.stop()
    }

    /// `openssl ocsp` echoes the nonce it is sent, so a nonce round trip verifies.
    @Test("a nonce is sent, echoed by openssl ocsp, and checked")
    func nonceIsSentAndChecked() async throws {
        let setup = try await Setup.start()
        defer { Task { await setup.stop() } }
        let answer = try await OCSPClient(transport: .curl, configuration: .init(sendNonce: true)).check(setup.subject(setup.good))
        #expect(answer.status == .good)
        await setup.stop()
    }

    @Test("a delegated responder without OCSPSigning is refused as an unauthorized signer")
    func delegateWithoutOCSPSigningIsRefused() async throws {
        let setup = try await Setup.start(delegated: true, withOCSPSigning: false)
        defer { Task { await setup.stop() } }
        let error = await #expect(throws: OCSPError.self) { try await OCSPClient(transport: .curl).check(setup.subject(setup.good)) }
        #expect(error?.code == .unauthorizedSigner)
        await setup.stop()
    }

    /// A responder for another CA with the same name answers with a response whose
    /// ResponderID names our issuer but whose signature is by an unrelated key.
    @Test("a response from another CA with the same name is refused for its bad signature")
    func responseFromAnotherCAIsRefused() async throws {
        let setup = try await Setup.start()
        defer { Task { await setup.stop() } }
        let other = try await Setup.start()
        defer { Task { await other.stop() } }
        let error = await #expect(throws: OCSPError.self) {
            try await OCSPClient(transport: .curl).check(setup.subject(setup.good), responderURL: other.responder.url)
        }
        #expect(error?.code == .badSignature, "\(String(describing: error))")
        await other.stop()
        await setup.stop()
    }
}
