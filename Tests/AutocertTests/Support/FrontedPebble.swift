@testable import Autocert
import AutocertACME
import AutocertCurl
import AutocertOpenSSL
import AutocertStorage
import AutocertTestSupport
import AutocertTLS
import Foundation
import Logging
import NIOCore
import NIOPosix

/// A Manager on a manual clock against Pebble behind an ``ACMEFront`` (ARI and profiles),
/// answering tls-alpn-01 through the OpenSSL backend on Pebble's validation port, its events
/// recorded. For the RFC 9773 and profile rules end to end: Pebble issues, the front adds what
/// Debian's Pebble 2.4 lacks, and the clock moves only when the test moves it.
struct FrontedPebble {
    let pebble: PebbleHarness
    let front: ACMEFront
    let manager: Manager
    let clock: ManualClock
    let storage: MemoryStorage
    let logs: LogCapture
    private let recorded: Locked<[ManagerEvent]>

    /// The events so far.
    var events: [ManagerEvent] { recorded.withLock { $0 } }

    /// The `renewalWindow` events so far: (start, end, renewAt, explanationURL).
    var windows: [(start: Date, end: Date, renewAt: Date, explanationURL: String?)] {
        events.compactMap { event in
            if case .renewalWindow(_, let start, let end, let renewAt, let explanation) = event { return (start, end, renewAt, explanation) }
            return nil
        }
    }

    static let profiles = ["classic": "the default profile", "shortlived": "6-day certificates", "tlsserver": "server auth only"]

    /// Runs `body` with the Manager running for `names` (host names, or IP addresses served on
    /// `host`); stops everything by PID afterwards, whatever happened.
    static func with(names: [String] = ["ari.example.com"], profile: String? = nil, host: String = "127.0.0.1",
                     challengeType: String = ACMEChallenge.tlsALPN01, _ body: (FrontedPebble) async throws -> Void) async throws {
        try await PebbleSession.run { session in
            let pebble = session.pebble
            let logs = LogCapture()
            let logger = Logger(label: "autocert.ari") { _ in logs.handler }
            let front = ACMEFront(directoryURL: pebble.directoryURL, inner: CurlTransport(configuration: .init(caBundlePath: pebble.httpsRootPEMFile)),
                                  profiles: profiles)
            let storage = MemoryStorage()
            let clock = ManualClock(Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down)))  // RFC 3339 times in whole seconds
            let client = ACMEClient(directoryURL: pebble.directoryURL, transport: front, configuration: .pebble, logger: logger)
            let authority = ACMECertificateAuthority(client: client, storage: storage, email: nil, acceptsTermsOfService: true,
                                                     challengeTypes: [challengeType], logger: logger)
            let manager = try Manager(
                configuration: .init(storage: storage, hostPolicy: .allowing(names), acceptsTermsOfService: true, profile: profile,
                                     stapleOCSP: false, randomUnit: { 0.5 }),
                certificateAuthority: authority, clock: clock, logger: logger)
            try await session.listenTLS(manager, host: host, logger: logger)
            try await session.listenHTTP01(manager, host: host)
            let recorded = Locked<[ManagerEvent]>([])
            let events = manager.subscribe()
            let fixture = FrontedPebble(pebble: pebble, front: front, manager: manager, clock: clock, storage: storage, logs: logs, recorded: recorded)
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await manager.run() }
                tasks.addTask { for await event in events { recorded.withLock { $0.append(event) } } }
                defer { tasks.cancelAll() }
                try await body(fixture)
            }
        }
    }

    /// The ARI identifier of the certificate served now for `name`.
    func identifier(_ name: String = "ari.example.com") throws -> String {
        guard let key = manager.cachedKey(for: name) else { throw TestSupportError("nothing served for \(name)") }
        return try ACMECertificateIdentifier.make(certificateDER: key.certificateChain[0])
    }

    /// The renewal planned for `name` now.
    func plannedRenewal(_ name: String = "ari.example.com") -> Date? {
        manager.schedule.withLock { $0.plans[name]?.due }
    }

    /// What the Manager knows from ARI about `name` now.
    func renewalInfo(_ name: String = "ari.example.com") -> Schedule.RenewalInfo? {
        manager.schedule.withLock { $0.renewalInfo[name] }
    }
}
