import AutocertHTTP
import AutocertOCSP
@testable import AutocertStapling
import AutocertStorage
import AutocertTestSupport
import Foundation
import Logging
import Testing

/// Against a real `openssl ocsp` responder, in real time: staples for every certificate,
/// a revocation seen at the next refresh, and a restart served from disk with the responder down.
@Suite("Stapler against openssl ocsp, in real time", .serialized)
struct OpenSSLIntegrationTests {
    enum Signing: String, CaseIterable, Sendable { case issuer, delegated }

    @Test("staples every certificate, sees a revocation at the next refresh, and after a restart with the responder down serves from disk", arguments: Signing.allCases)
    func staplesRevocationAndRestart(_ signing: Signing) async throws {
        let directory = try TemporaryDirectory(prefix: "stapling-openssl")
        defer { directory.remove() }
        let pki = try await TestPKI.create(in: directory.path)
        let port = try FreePort.allocate()
        let url = "http://127.0.0.1:\(port)"
        let first = try await pki.issueLeaf("first.test", ocspURL: url)
        let second = try await pki.issueLeaf("second.test", ocspURL: url)
        let signer = signing == .delegated ? try await pki.issueResponder() : nil
        let responder = try await OpenSSLOCSPResponder(pki: pki, certificates: [first, second], signer: signer, port: port, validityMinutes: 1)

        // A 60 s window (-nmin 1): refresh 6 s after thisUpdate so that the test sees one.
        var policy = StaplePolicy(refreshFraction: 0.1, refreshJitter: 0, minimumRefreshInterval: .seconds(1), retryFloor: .seconds(1), retryCeiling: .seconds(2))
        policy.safetyMargin = .seconds(5)
        let configuration = StaplingManager.Configuration(policy: policy, fetchTimeout: .seconds(5))
        let storage = try DirectoryStorage(path: directory.file("staples"))
        var logger = Logger(label: "stapling-openssl")
        logger.logLevel = .critical
        let manager = StaplingManager(configuration: configuration, storage: storage, logger: logger)
        let subjects = try [first, second].map { try OCSPSubject(pem: String(contentsOfFile: $0.chainPath, encoding: .utf8)) }
        let firstID = await manager.add(subjects[0])
        let secondID = await manager.add(subjects[1])
        let events = manager.subscribe()
        let runner = Task { try await manager.run() }
        let revocations = Task { () -> StapleID? in
            for await event in events { if case .revoked(let id, _, _) = event { return id } }
            return nil
        }
        do {
            #expect(await manager.firstStaple(for: firstID, timeout: .seconds(10)) != nil, "\(responder.log)")
            #expect(await manager.firstStaple(for: secondID, timeout: .seconds(10)) != nil)

            try await responder.revoke(serialHex: second.serialHex, reason: "keyCompromise")
            try await Poll.until("the revocation to be seen at the next refresh", timeout: .seconds(30)) {
                manager.info(for: secondID)?.condition == .revoked
            }
            #expect(await revocations.value == secondID)
            #expect(manager.info(for: secondID)?.revocationReason == .keyCompromise)
            #expect(manager.info(for: firstID)?.condition == .stapled)
            #expect(manager.staple(for: firstID) != nil)
        } catch {
            Issue.record("\(error)\n\(responder.log)")
        }
        runner.cancel()
        _ = try? await runner.value
        await responder.stop()

        // Restart with the responder down: the persisted staples are served at once, offline.
        let restarted = StaplingManager(configuration: configuration, storage: storage, logger: logger)
        let again = await restarted.add(subjects[0])
        #expect(restarted.staple(for: again) != nil)
        #expect(restarted.staple(for: again) == manager.staple(for: firstID))
        let revokedAgain = await restarted.add(subjects[1])
        #expect(restarted.info(for: revokedAgain)?.condition == .revoked)
    }
}
