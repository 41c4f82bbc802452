import Autocert
import AutocertACME
import AutocertOCSP
import AutocertStapling
import AutocertStorage
import AutocertTestSupport
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing
import X509

/// The Manager against Pebble and its in-step OCSP responder: a certificate the responder
/// says is revoked leads to the revoked event and a new certificate being served.
@Suite("Manager: revocation seen through OCSP, end to end", .serialized)
struct RevocationEndToEndTests {
    @Test("marking the certificate revoked in the responder leads to the revoked event and a new certificate (new key on keyCompromise)")
    func revokedInResponderIsReplaced() async throws {
        let ca = try await ServerEndToEndTests.CA.start()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var channels: [any Channel] = []
        let name = "revoked-e2e.example.com"
        do {
            let logger = Logger(label: "autocert.e2e") { _ in SwiftLogNoOpLogHandler() }
            var acme = ACMEClient.Configuration()
            acme.maxNonceAttempts = 8
            let client = ACMEClient(directoryURL: ca.pebble.directoryURL, trustedRootsPEMFile: ca.pebble.httpsRootPEMFile,
                                    configuration: acme, logger: logger)
            let storage = MemoryStorage()
            let authority = ACMECertificateAuthority(client: client, storage: storage, email: nil, acceptsTermsOfService: true,
                                                     challengeTypes: [ACMEChallenge.http01], logger: logger)
            // Refresh staples every few seconds (the responder's answers last an hour).
            var stapling = StaplingManager.Configuration()
            stapling.policy = StaplePolicy(refreshFraction: 0.001, refreshJitter: 0, minimumRefreshInterval: .seconds(1))
            let manager = try Manager(
                configuration: .init(storage: storage, hostPolicy: .allowing([name]), acceptsTermsOfService: true, stapling: stapling),
                certificateAuthority: authority, logger: logger)
            channels.append(try await manager.bindHTTP01Listener(port: ca.pebble.httpPort, on: group))

            let revokedEvents = Locked<[String]>([])
            let events = manager.subscribe()
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await manager.run() }
                tasks.addTask {
                    for await event in events {
                        if case .revoked(let revoked, let reason) = event { revokedEvents.withLock { $0.append("\(revoked) \(String(describing: reason))") } }
                    }
                }
                defer { tasks.cancelAll() }

                let first = try await manager.certifiedKey(forName: name)
                let firstStaple = try #require(first.ocspStaple, "the first certificate is stapled")
                let subject = try OCSPSubject(certificate: Certificate(derEncoded: first.certificateChain[0]), issuerDER: first.certificateChain[1])
                #expect(try OCSPVerifier(subject: subject).verify(firstStaple).status == .good)

                let serial = try Certificate(derEncoded: first.certificateChain[0]).serialNumber.bytes
                    .drop { $0 == 0 }.map { String(format: "%02X", $0) }.joined()
                ca.responder.revoke(serialHex: serial, reason: "keyCompromise")

                try await Poll.until("the revoked event and a replacement certificate", timeout: .seconds(90), interval: .milliseconds(100)) {
                    guard let current = manager.cachedKey(for: name) else { return false }
                    return !revokedEvents.withLock { $0.isEmpty } && current.certificateChain[0] != first.certificateChain[0]
                }
                let replacement = try #require(manager.cachedKey(for: name))
                #expect(replacement.privateKey != first.privateKey, "keyCompromise gives a new key")
                #expect(revokedEvents.withLock { $0.first?.contains(name) ?? false }, "\(revokedEvents.withLock { $0 })")
            }
        } catch {
            for channel in channels { try? await channel.close() }
            try? await group.shutdownGracefully()
            await ca.stop()
            throw error
        }
        for channel in channels { try? await channel.close() }
        try await group.shutdownGracefully()
        await ca.stop()
    }
}
