import AutocertACME
import AutocertCurl
import AutocertOCSP
import AutocertTestSupport
import Foundation
import Testing
import SwiftASN1
import X509

/// The Pebble-backed OCSP responder that the end-to-end tests and the demo rely on: Pebble
/// issues, the responder answers for what it issued, revocations flow through.
@Suite("PebbleOCSPResponder", .serialized)
struct PebbleOCSPResponderTests {
    /// Answers nothing: Pebble runs with PEBBLE_VA_ALWAYS_VALID=1 here.
    struct NoSolver: ACMEChallengeSolver {
        let challengeTypes = [ACMEChallenge.http01]
        func present(_ challenge: ACMEChallenge, for identifier: ACMEIdentifier, keyAuthorization: String) async throws {}
        func cleanUp(_ challenge: ACMEChallenge, for identifier: ACMEIdentifier) async {}
    }

    @Test("answers good for what Pebble issued, and revoked for what Pebble or the responder itself revoked")
    func answersForWhatPebbleIssuedAndSeesRevocations() async throws {
        let work = try TemporaryDirectory()
        let responder = try PebbleOCSPResponder(directory: work.path)
        var options = PebbleHarness.Options()
        options.ocspResponderURL = responder.url
        options.environment = ["PEBBLE_VA_ALWAYS_VALID": "1"]
        options.nonceRejectPercent = 0
        let pebble = try await PebbleHarness(options)
        do {
            try await responder.start(managementURL: pebble.managementURL, managementRootPEMFile: pebble.httpsRootPEMFile)
        } catch {
            await responder.stop()
            await pebble.stop()
            throw error
        }

        do {
            let client = ACMEClient(directoryURL: pebble.directoryURL, trustedRootsPEMFile: pebble.httpsRootPEMFile)
            let account = try await client.createAccount(key: .generateP256(), termsOfServiceAgreed: true)
            func issue(_ name: String) async throws -> OCSPSubject {
                let issued = try await client.issueCertificate(for: [name], account: account, solver: NoSolver())
                let chain = issued.chain.certificatesDER
                #expect(try Certificate(derEncoded: chain[0]).ocspResponderURLs == [responder.url])
                return try OCSPSubject(certificate: Certificate(derEncoded: chain[0]), issuerDER: chain[1])
            }
            let first = try await issue("first.test")
            let second = try await issue("second.test")

            let good = try await OCSPClient(transport: .curl).check(first)
            #expect(good.status == .good)
            #expect(good.signer == .issuer)

            // Revoked at the CA (Pebble) ...
            let firstDER = first.certificate.derBytesForTest
            try await client.revoke(certificateDER: firstDER, reason: .superseded, signer: .account(account))
            let revoked = try await OCSPClient(transport: .curl).check(first)
            #expect(revoked.revocationReason == .superseded)

            // ... or in the responder only, as a test of a CA that revokes before Pebble knows.
            #expect(try await OCSPClient(transport: .curl).check(second).status == .good)
            responder.revoke(serialHex: hexSerial(second.certificate), reason: "keyCompromise")
            #expect(try await OCSPClient(transport: .curl).check(second).revocationReason == .keyCompromise)
            #expect(responder.requestCount == 4)
        } catch {
            await responder.stop()
            await pebble.stop()
            work.remove()
            throw error
        }
        await responder.stop()
        await pebble.stop()
        work.remove()
    }

    private func hexSerial(_ certificate: Certificate) -> String {
        certificate.serialNumber.bytes.drop { $0 == 0 }.map { String(format: "%02X", $0) }.joined()
    }
}

extension Certificate {
    var derBytesForTest: [UInt8] {
        var coder = DER.Serializer()
        try! coder.serialize(self)
        return coder.serializedBytes
    }
}
