import Autocert
import AutocertACME
import AutocertOpenSSL
import AutocertStorage
import AutocertTestSupport
import AutocertTLS
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing
import X509

/// The Manager against Pebble (Let's Encrypt's test CA): real ACME, real challenge answers
/// through the OpenSSL backend (tls-alpn-01) and the http-01 handler.
@Suite("Manager against Pebble", .serialized)
struct PebbleEndToEndTests {

    /// Runs `body` with a Manager for `name` over a fresh Pebble, answering challenges of `challengeType`.
    func withManager(_ name: String, challengeType: String, _ body: (Manager, MemoryStorage) async throws -> Void) async throws {
        try await PebbleSession.run { session in
            let pebble = session.pebble
            let logger = Logger(label: "autocert.e2e") { _ in SwiftLogNoOpLogHandler() }
            let storage = MemoryStorage()
            let client = ACMEClient(directoryURL: pebble.directoryURL, trustedRootsPEMFile: pebble.httpsRootPEMFile,
                                    configuration: .pebble, logger: logger)
            let authority = ACMECertificateAuthority(client: client, storage: storage, email: "ops@example.com",
                                                     acceptsTermsOfService: true, challengeTypes: [challengeType], logger: logger)
            let manager = try Manager(
                configuration: .init(storage: storage, hostPolicy: .allowing([name]), acceptsTermsOfService: true),
                certificateAuthority: authority, logger: logger)
            try await session.listenTLS(manager, logger: logger)
            try await session.listenHTTP01(manager)
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await manager.run() }
                defer { tasks.cancelAll() }
                try await body(manager, storage)
            }
        }
    }

    @Test("a new name is issued through Pebble (tls-alpn-01 answered by the OpenSSL backend, or http-01 by the handler), then served warm",
          arguments: [ACMEChallenge.tlsALPN01, ACMEChallenge.http01])
    func issuesThroughPebble(_ challengeType: String) async throws {
        try await withManager("autocert-e2e.example.com", challengeType: challengeType) { manager, storage in
            let key = try await manager.certifiedKey(forName: "autocert-e2e.example.com")
            let leaf = try Certificate(derEncoded: key.certificateChain[0])
            let names = try leaf.extensions.subjectAlternativeNames?.compactMap { name -> String? in
                if case .dnsName(let dns) = name { return dns }
                return nil
            }
            #expect(names == ["autocert-e2e.example.com"])
            #expect(key.certificateChain.count >= 2)
            #expect(manager.cachedKey(for: "autocert-e2e.example.com")?.certificateChain == key.certificateChain)
            #expect(storage.names.contains { $0.hasPrefix("acme-account+") }, "the account key is stored: \(storage.names)")
            #expect(storage.names.contains("autocert-e2e.example.com") && !storage.names.contains("autocert-e2e.example.com+key"))
        }
    }

    @Test("revoking at Pebble through the Manager replaces the certificate (superseded: same key)")
    func revokesThroughPebble() async throws {
        try await withManager("autocert-revoke.example.com", challengeType: ACMEChallenge.tlsALPN01) { manager, _ in
            let first = try await manager.certifiedKey(forName: "autocert-revoke.example.com")
            try await manager.revokeCertificate(for: "autocert-revoke.example.com", reason: .superseded)
            try await Poll.until("the replacement", timeout: .seconds(60)) {
                manager.cachedKey(for: "autocert-revoke.example.com").map { $0.certificateChain[0] != first.certificateChain[0] } ?? false
            }
            #expect(manager.cachedKey(for: "autocert-revoke.example.com")?.privateKey == first.privateKey, "superseded keeps the key")
        }
    }
}
