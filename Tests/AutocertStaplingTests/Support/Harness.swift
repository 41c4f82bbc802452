@testable import AutocertStapling
import AutocertHTTP
import AutocertOCSP
import AutocertStorage
import AutocertTestSupport
import Foundation
import Logging
import MetricsTestKit
import Synchronization

/// A manager under test with its clock, events and metrics, run as a task and stopped by the test.
final class Harness: Sendable {
    let clock: ManualClock
    let manager: StaplingManager
    let metrics: TestMetrics
    let storage: any BlobStorage
    private let collected = Mutex<[StaplingEvent]>([])
    private let tasks = Mutex<[Task<Void, Never>]>([])

    init(
        clock: ManualClock = ManualClock(),
        transport: any HTTPTransport,
        storage: any BlobStorage = MemoryStorage(),
        configuration: StaplingManager.Configuration = Harness.configuration(),
        logger: Logger? = nil
    ) {
        self.clock = clock
        self.metrics = TestMetrics()
        self.storage = storage
        var logger = logger ?? Logger(label: "stapling-test")
        if logger.logLevel > .critical || logger.label == "stapling-test" { logger.logLevel = .critical }
        manager = StaplingManager(configuration: configuration, client: OCSPClient(transport: transport), storage: storage,
                                  clock: clock, logger: logger, metricsFactory: metrics)
    }

    /// Deterministic defaults: jitter pinned to the middle of each band.
    static func configuration(unit: Double = 0.5, fetchTimeout: Duration = .seconds(5), limit: Int = 16, _ adjust: (inout StaplePolicy) -> Void = { _ in }) -> StaplingManager.Configuration {
        var policy = StaplePolicy()
        adjust(&policy)
        return StaplingManager.Configuration(policy: policy, maximumConcurrentFetches: limit, fetchTimeout: fetchTimeout, randomUnit: { unit })
    }

    func start() {
        let manager = self.manager
        let events = manager.subscribe()
        let runner = Task { _ = try? await manager.run() }
        let reader = Task { [self] in
            for await event in events { self.collected.withLock { $0.append(event) } }
        }
        tasks.withLock { $0 += [runner, reader] }
    }

    /// Cancels the manager's run (it ends on its own); for `defer`, which cannot await.
    func cancel() {
        tasks.withLock { $0 }.first?.cancel()
    }

    func stop() async {
        let tasks = self.tasks.withLock { $0 }
        tasks[0].cancel()
        for task in tasks { await task.value }
    }

    var events: [StaplingEvent] { collected.withLock { $0 } }

    func events(_ matching: (StaplingEvent) -> Bool) -> [StaplingEvent] { events.filter(matching) }

    /// Waits (bounded) until the scheduler has nothing to do before the clock moves again.
    func settle(_ what: String = "the scheduler to be idle") async throws {
        try await Poll.until(what, timeout: .seconds(10), interval: .milliseconds(2)) { manager.isIdle }
    }

    /// Moves the clock by `seconds` and waits until the scheduler is idle again.
    func advance(_ seconds: TimeInterval) async throws {
        clock.advance(by: seconds)
        try await settle()
    }
}

extension StaplingEvent {
    var isFetched: Bool { if case .fetched = self { true } else { false } }
    var isFailed: Bool { if case .failed = self { true } else { false } }
    var isRevoked: Bool { if case .revoked = self { true } else { false } }
    var isExpired: Bool { if case .expired = self { true } else { false } }
    var isExpiringWithoutRefresh: Bool { if case .expiringWithoutRefresh = self { true } else { false } }
    var isRemoved: Bool { if case .removed = self { true } else { false } }
    var failure: OCSPError? { if case .failed(_, let reason, _, _, _) = self { reason } else { nil } }
    var nextAttempt: Date? { if case .failed(_, _, _, let next, _) = self { next } else { nil } }
}
