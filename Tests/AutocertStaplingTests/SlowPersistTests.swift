@testable import AutocertStapling
import AutocertStorage
import AutocertTestSupport
import Foundation
import Synchronization
import Testing

/// A refresh that falls due, or a removal, while a fetch is still persisting its staple.
@Suite("Stapler: a refresh or a removal during a slow persist")
struct SlowPersistTests {
    let day: TimeInterval = 86_400

    /// Storage whose `put` waits until the test opens the gate (a slow disk, a hung NFS mount).
    final class GatedStorage: BlobStorage {
        private let inner = MemoryStorage()
        private let state = Mutex<(open: Bool, waiting: [CheckedContinuation<Void, Never>], puts: Int)>((false, [], 0))
        private let finished = Mutex(0)

        var putsStarted: Int { state.withLock { $0.puts } }
        var putsFinished: Int { finished.withLock { $0 } }

        func open() {
            let waiting = state.withLock { state in
                state.open = true
                defer { state.waiting = [] }
                return state.waiting
            }
            for continuation in waiting { continuation.resume() }
        }

        func get(_ name: String) async throws(StorageError) -> [UInt8]? { try await inner.get(name) }
        func delete(_ name: String) async throws(StorageError) { try await inner.delete(name) }
        func list(prefix: String) async throws(StorageError) -> [String] { try await inner.list(prefix: prefix) }
        func put(_ name: String, _ bytes: [UInt8]) async throws(StorageError) {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    state.puts += 1
                    if state.open { return true }
                    state.waiting.append(continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
            try await inner.put(name, bytes)
            finished.withLock { $0 += 1 }
        }
    }

    /// The refresh planned by a fetch must not be lost when it falls due before that fetch
    /// has finished persisting: it runs as soon as the fetch ends. (Before the fix the due
    /// plan was dropped and the certificate was never fetched again.)
    @Test("a refresh that falls due while the previous fetch is still persisting runs once that fetch ends")
    func aRefreshDueDuringASlowPersistRunsWhenThePersistEnds() async throws {
        let fixture = try StaplingManagerScheduleTests.Fixture()
        let transport = fixture.responder(validity: 4 * day)
        let storage = GatedStorage()
        let harness = Harness(clock: fixture.clock, transport: transport, storage: storage)
        let id = await harness.manager.add(fixture.subject)
        harness.start()
        defer { harness.cancel() }
        _ = try #require(await harness.manager.firstStaple(for: id))
        try await Poll.until("the first persist to start") { storage.putsStarted == 1 }
        #expect(transport.requestCount == 1)

        // The refresh (due at the midpoint, 2 days) falls due while the put still hangs.
        fixture.clock.advance(by: 2 * day)
        try await Poll.until("the scheduler to reach the due refresh") {
            let now = fixture.clock.now.timeIntervalSinceReferenceDate
            return harness.manager.core.withLock { core in
                core.nextSweep > now && !core.queue.items.contains { $0.kind == .fetch && $0.due <= now }
            }
        }
        #expect(transport.requestCount == 1, "no second fetch while the first is in flight")

        storage.open()
        try await harness.settle()
        #expect(transport.requestCount == 2, "the due refresh ran once the first fetch ended")
        #expect(harness.manager.info(for: id)?.condition == .stapled)
        #expect(harness.manager.info(for: id)?.nextAttempt == fixture.clock.now.addingTimeInterval(2 * day))
    }

    /// `remove` deletes the persisted staple; a persist still in flight must not write it
    /// back afterwards, or a replaced certificate's staple file outlives it.
    @Test("a certificate removed while its staple is still being persisted leaves no staple file behind")
    func aRemovalDuringASlowPersistLeavesNoStapleFile() async throws {
        let fixture = try StaplingManagerScheduleTests.Fixture()
        let storage = GatedStorage()
        let harness = Harness(clock: fixture.clock, transport: fixture.responder(validity: 4 * day), storage: storage)
        let id = await harness.manager.add(fixture.subject)
        harness.start()
        defer { harness.cancel() }
        _ = try #require(await harness.manager.firstStaple(for: id))
        try await Poll.until("the persist to start") { storage.putsStarted == 1 }

        await harness.manager.remove(id)  // its delete comes before the hanging put lands
        storage.open()
        try await Poll.until("the persist to end") { storage.putsFinished == 1 }
        try await Poll.until("no staple file for the removed certificate", timeout: .seconds(5)) {
            try await storage.get(id.storageName) == nil
        }
    }
}
