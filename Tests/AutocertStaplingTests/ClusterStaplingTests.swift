@testable import AutocertStapling
import AutocertHTTP
import AutocertOCSP
import AutocertStorage
import AutocertTestSupport
import Foundation
import Testing

/// Staples in a cluster: several staplers sharing one locking storage (here three in one
/// process on a `MemoryStorage`, on one clock and one responder) fetch each certificate's
/// staple once per refresh window between them, and all serve it.
@Suite("Stapler in a cluster: one fetch per certificate per refresh window")
struct ClusterStaplingTests {
    let day: TimeInterval = 86_400

    /// Three staplers, each with its own jitter, on one storage, clock and responder.
    static let logs = LogCapture()
    static func cluster(_ fixture: StaplingManagerScheduleTests.Fixture, transport: ScriptTransport, storage: MemoryStorage) -> [Harness] {
        [0.2, 0.5, 0.8].map { unit in
            Harness(clock: fixture.clock, transport: transport, storage: storage, configuration: Harness.configuration(unit: unit),
                    logger: logs.logger(label: "unit\(unit)", level: .debug))
        }
    }

    @Test("three instances fetch each staple once per window, the others adopt it from storage, and every one serves it")
    func oneFetchPerWindow() async throws {
        let fixture = try StaplingManagerScheduleTests.Fixture()
        let transport = fixture.responder(validity: 4 * day)
        let storage = MemoryStorage()
        let instances = Self.cluster(fixture, transport: transport, storage: storage)
        var ids: [StapleID] = []
        for instance in instances { ids.append(await instance.manager.add(fixture.subject)) }
        for instance in instances { instance.start() }
        defer { for instance in instances { instance.cancel() } }
        let id = ids[0]
        try await Poll.until("every instance to serve the first staple") {
            instances.allSatisfy { $0.manager.staple(for: id) != nil }
        }
        #expect(transport.requestCount == 1, "one fetch for three instances")

        // Ten refresh windows (the staple is valid 4 days, refreshed at about its middle).
        // Within each, the clock then moves a second at a time, as real time passes while an
        // instance that found the lock taken waits a few seconds to look at storage again.
        for window in 1...10 {
            fixture.clock.advance(by: 2.5 * day)
            let windowStart = fixture.clock.now
            try await Poll.until("window \(window): every instance to serve a staple of this window", advancing: fixture.clock, by: 1) {
                instances.allSatisfy { ($0.manager.info(for: id)?.thisUpdate ?? .distantPast) >= windowStart }
            }
            #expect(transport.requestCount == 1 + window,
                    "window \(window): one fetch, not \(transport.requestCount - window)\n\(Self.logs.messages.suffix(30).joined(separator: "\n"))")
            let served = Set(instances.compactMap { $0.manager.staple(for: id) })
            #expect(served.count == 1, "window \(window): every instance serves the same, newest staple")
        }
        let adopted = instances.map { $0.events { if case .adopted = $0 { true } else { false } }.count }
        #expect(adopted.reduce(0, +) >= 20, "the others adopted the staple each window: \(adopted)")
    }

    @Test("when the instance holding the fetch lock dies, another fetches once its lease ends")
    func holderDiesAnotherFetches() async throws {
        let fixture = try StaplingManagerScheduleTests.Fixture()
        let transport = fixture.responder(validity: 4 * day)
        let storage = MemoryStorage()
        // A dead holder: its lock is taken and never renewed.
        let stale = try #require(try await storage.tryLock(StaplingManager.fetchLockName(StapleID(certificate: fixture.leaf)), lease: .seconds(1)))
        #expect(stale.token > 0)
        let instance = Harness(clock: fixture.clock, transport: transport, storage: storage)
        let id = await instance.manager.add(fixture.subject)
        instance.start()
        defer { instance.cancel() }
        try await instance.settle()
        #expect(transport.requestCount == 0, "the lock is held: this instance waits for the holder's staple")
        // The lease ends (real time: the storage's clock), then the next look fetches.
        try await Poll.until("the lease to end and this instance to fetch", timeout: .seconds(20), advancing: instance.clock, by: 10) {
            transport.requestCount == 1 && instance.manager.staple(for: id) != nil
        }
    }
}
