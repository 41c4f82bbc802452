import Autocert
import AutocertACME
import AutocertStorage
import AutocertTestSupport
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing
import X509

/// The Manager when the CA goes away during renewal: typed errors, backoff, and the old
/// certificate served all along.
@Suite("Manager: CA stopped during renewal, end to end", .serialized)
struct CAFaultEndToEndTests {
    @Test("Pebble stopped before a renewal: each failure is a typed error, retries back off, the old certificate keeps being served")
    func pebbleStoppedDuringRenewal() async throws {
        var options = PebbleHarness.Options()
        options.certificateValidityPeriod = 7_200
        let name = "renewal-fault.example.com"
        try await PebbleSession.run(options) { session in
            let pebble = session.pebble
            let logger = Logger(label: "autocert.e2e") { _ in SwiftLogNoOpLogHandler() }
            var acme = ACMEClient.Configuration()
            acme.maxNonceAttempts = 8
            acme.requestTimeout = .seconds(5)
            let storage = MemoryStorage()
            let authority = ACMECertificateAuthority(
                client: ACMEClient(directoryURL: pebble.directoryURL, trustedRootsPEMFile: pebble.httpsRootPEMFile, configuration: acme, logger: logger),
                storage: storage, email: nil, acceptsTermsOfService: true, challengeTypes: [ACMEChallenge.http01], logger: logger)
            // Renew 8 s after issuance (a 2-hour certificate, renewed 7,192 s before its end,
            // no jitter); retry after 1 s, doubling up to 4 s.
            let renewal = RenewalPolicy(renewBefore: .seconds(7_192), jitterFraction: 0, retryFloor: .seconds(1), retryCeiling: .seconds(4))
            let manager = try Manager(
                configuration: .init(storage: storage, hostPolicy: .allowing([name]), acceptsTermsOfService: true,
                                     renewal: renewal, stapleOCSP: false),
                certificateAuthority: authority, logger: logger)
            try await session.listenHTTP01(manager)

            let failures = Locked<[(error: AutocertError, streak: Int, next: Date, at: Date)]>([])
            let events = manager.subscribe()
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await manager.run() }
                tasks.addTask {
                    for await event in events {
                        if case .failed(let failed, let error, let streak, let next) = event, failed == name {
                            failures.withLock { $0.append((error, streak, next, Date())) }
                        }
                    }
                }
                defer { tasks.cancelAll() }

                let original = try await manager.certifiedKey(forName: name)
                await pebble.stop()  // the CA goes away before the renewal is due

                try await Poll.until("three failed renewals", timeout: .seconds(60), interval: .milliseconds(100)) {
                    failures.withLock { $0.count >= 3 }
                }
                let seen = failures.withLock { $0 }
                #expect(seen.map(\.streak).prefix(3) == [1, 2, 3], "the failure streak grows: \(seen.map(\.streak))")
                #expect(seen.allSatisfy { $0.error.code == .issuanceFailed }, "\(seen.map { "\($0.error)" })")
                // Full-jitter backoff: the n-th wait is within [1 s, min(4 s, 1 s × 2^n)].
                for failure in seen.prefix(3) {
                    let wait = failure.next.timeIntervalSince(failure.at)
                    #expect(wait >= 0.9 && wait <= min(4, pow(2, Double(failure.streak))) + 0.5, "wait \(wait) s after failure \(failure.streak)")
                }
                // The old certificate is served all along.
                #expect(manager.cachedKey(for: name)?.certificateChain == original.certificateChain)
                let again = try await manager.certifiedKey(forName: name)
                #expect(again.certificateChain == original.certificateChain)
            }
        }
    }
}
