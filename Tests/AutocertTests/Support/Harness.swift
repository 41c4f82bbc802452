@testable import Autocert
import AutocertACME
import AutocertTestSupport
import AutocertOCSP
import AutocertStapling
import AutocertStorage
import AutocertTLS
import Foundation
import Logging
import CoreMetrics
import NIOEmbedded
import Synchronization

/// A Manager over a ``FakeCA`` (and its OCSP answers), with its events recorded.
final class Harness: Sendable {
    let ca: FakeCA
    let ocsp: FakeOCSPTransport
    let storage: any BlobStorage
    let manager: Manager
    let logs: LogCapture
    private let recorded = Locked<[ManagerEvent]>([])
    private let finished = Locked(false)

    /// Whether the Manager's event stream has ended (``Manager/run()`` returned).
    var eventsFinished: Bool { finished.withLock { $0 } }
    private let recorder: Task<Void, Never>
    /// The event loop handshakes run on (thread-safe, unlike EmbeddedEventLoop).
    let loop = NIOAsyncTestingEventLoop()

    init(
        names: [String] = ["example.test"],
        hostPolicy: HostPolicy? = nil,
        storage: (any BlobStorage)? = nil,
        stapleOCSP: Bool = true,
        clock: (any StaplingClock)? = nil,
        lifetime: TimeInterval = 90 * 86_400,
        mustStaple: Bool = false,
        keyType: CertificateKeyType = .p256,
        stapling: StaplingManager.Configuration = StaplingManager.Configuration(),
        ca: FakeCA? = nil,
        metrics: (any MetricsFactory)? = nil,
        directoryURL: String = "https://fake-ca.test/directory"
    ) throws {
        let clock = clock ?? SystemStaplingClock()
        let now: @Sendable () -> Date = { clock.now }
        let ca = try ca ?? FakeCA(lifetime: lifetime, now: now)
        let storage = storage ?? MemoryStorage()
        let ocsp = FakeOCSPTransport(ca: ca, now: now)
        let logs = LogCapture()
        let logger = Logger(label: "autocert.test") { _ in logs.handler }
        let configuration = Manager.Configuration(
            directoryURL: directoryURL, storage: storage, hostPolicy: hostPolicy ?? .allowing(names), keyType: keyType, mustStaple: mustStaple, stapleOCSP: stapleOCSP,
            firstStapleTimeout: .seconds(5), randomUnit: { 0.5 })
        let stapler = StaplingManager(configuration: stapling, client: OCSPClient(transport: ocsp), storage: storage, clock: clock, logger: logger)
        let manager = try Manager(configuration: configuration, certificateAuthority: ca, stapler: stapler, clock: clock, logger: logger,
                                  metricsFactory: metrics)
        ca.watchStorage(storage)
        self.ca = ca
        self.ocsp = ocsp
        self.storage = storage
        self.manager = manager
        self.logs = logs
        let recorded = self.recorded
        let finished = self.finished
        let events = manager.subscribe()
        recorder = Task {
            for await event in events { recorded.withLock { $0.append(event) } }
            finished.withLock { $0 = !Task.isCancelled }
        }
    }

    var events: [ManagerEvent] { recorded.withLock { $0 } }

    /// Runs `body` while the Manager runs; stops it afterwards.
    func running<R: Sendable>(_ body: @Sendable () async throws -> R) async throws -> R {
        let manager = self.manager
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await manager.run() }
            defer { group.cancelAll() }
            return try await body()
        }
    }

    func stop() {
        recorder.cancel()
        let loop = self.loop
        Task { await loop.shutdownGracefully() }
    }

    /// A ClientHello for `name`.
    static func hello(_ name: String?, alpn: [String] = ["h2"]) -> ClientHello {
        ClientHello(serverName: name, applicationProtocols: alpn, requestsOCSPStaple: true)
    }

    /// The selector's answer for `hello`, through the CertificateSelector API.
    func select(_ hello: ClientHello) async throws -> CertifiedKey {
        try await manager.certifiedKey(for: hello, on: loop).get()
    }
}
