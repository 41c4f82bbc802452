import AutocertStorage
import Foundation
import ServiceLifecycle
import Synchronization

extension StaplingManager {
    /// Runs the scheduler until graceful shutdown or cancellation.
    ///
    /// One loop for all certificates: a min-heap of (due time, certificate) drives it; it
    /// sleeps until the earliest item or until woken (a certificate added, a fetch done).
    /// Fetches run as child tasks, at most ``Configuration/maximumConcurrentFetches`` at
    /// once; on shutdown the loop stops taking work and cancels the fetches in flight. The
    /// loop is this manager's own: no other layer's work runs on it.
    /// Every event stream (``subscribe(bufferingNewest:)``) finishes when this returns.
    public func run() async throws {
        let stopping = StopFlag()
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                if let observable = storage as? any ObservableStorage, storage is any LockingStorage {
                    let changes = observable.changes()
                    group.addTask { await self.followStoredStaples(changes) }
                }
                var nextStorageSweep = Date.distantPast
                while !stopping.isSet, !Task.isCancelled {
                    let now = clock.now
                    if now >= nextStorageSweep {
                        nextStorageSweep = now.addingTimeInterval(Self.storageSweepInterval)
                        group.addTask { await self.sweepStorage(now: now) }
                    }
                    for work in takeDueWork(now: now) {
                        switch work {
                        case .fetch(let id):
                            group.addTask { await self.fetch(id) }
                        case .expire(let id, let at):
                            expired(id, at: at)
                        }
                    }
                    sweepIfDue(now: now)
                    let wakeDate = min(nextWakeDate(), nextStorageSweep)
                    core.withLock { $0.loopWaiting = true }
                    await wake.wait(until: wakeDate, on: clock)
                    core.withLock { $0.loopWaiting = false }
                }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            stopping.set()
            self.wake.signal()
        }
        broadcast.finish()
    }

    /// Pops every due item the fetch limit allows; stale items (replaced plans) are dropped.
    func takeDueWork(now: Date) -> [DueWork] {
        let limit = configuration.maximumConcurrentFetches
        let nowValue = now.timeIntervalSinceReferenceDate
        return core.withLock { core in
            var work: [DueWork] = []
            while let item = core.queue.min, item.due <= nowValue {
                guard let entry = core.entries[item.id] else {
                    core.queue.popMin()
                    continue
                }
                switch item.kind {
                case .fetch:
                    guard item.generation == entry.scheduleGeneration else {
                        core.queue.popMin()
                        continue
                    }
                    guard !entry.fetchInFlight else {
                        // Due while the last fetch still runs: not a second fetch now, and
                        // not lost either; the running fetch re-plans it when it ends.
                        core.queue.popMin()
                        core.entries[item.id]!.planDueDuringFetch = true
                        continue
                    }
                    guard core.inFlight < limit else { return work }
                    core.queue.popMin()
                    core.inFlight += 1
                    core.entries[item.id]!.fetchInFlight = true
                    work.append(.fetch(item.id))
                case .expire:
                    core.queue.popMin()
                    guard item.generation == entry.stapleGeneration, entry.servedUntil != nil else { continue }
                    work.append(.expire(item.id, at: Date(timeIntervalSinceReferenceDate: item.due)))
                }
            }
            return work
        }
    }

    /// When the loop must look again: the earliest item (unless the fetch limit is reached,
    /// in which case a finishing fetch wakes it) or the next metrics sweep.
    func nextWakeDate() -> Date {
        core.withLock { core in
            var next = core.nextSweep
            if let first = core.queue.min, core.inFlight < configuration.maximumConcurrentFetches {
                next = min(next, first.due)
            }
            return Date(timeIntervalSinceReferenceDate: next)
        }
    }

    /// Whether the loop waits with nothing due and no fetch running (tests use this to
    /// show that nothing happens before a planned time).
    var isIdle: Bool {
        let now = clock.now.timeIntervalSinceReferenceDate
        return core.withLock { core in
            core.loopWaiting && core.inFlight == 0 && core.nextSweep > now && !core.queue.items.contains { item in
                guard item.due <= now, let entry = core.entries[item.id] else { return false }
                return item.kind == .fetch ? item.generation == entry.scheduleGeneration : item.generation == entry.stapleGeneration && entry.servedUntil != nil
            }
        }
    }

    /// A staple reached its end with no replacement: stop serving it and say so.
    func expired(_ id: StapleID, at: Date) {
        let changed = core.withLock { core -> Bool in
            guard var entry = core.entries[id], entry.servedUntil != nil else { return false }
            served.remove(id)
            entry.servedUntil = nil
            entry.thisUpdate = nil
            if at >= entry.notAfter {
                entry.condition = .certificateExpired
                entry.scheduleGeneration &+= 1
                entry.nextAttempt = nil
            } else if entry.condition == .stapled {
                entry.condition = entry.lastFailure == nil ? .pending : .failing
            }
            core.entries[id] = entry
            return true
        }
        guard changed else { return }
        logger.warning("the staple expired without a verified replacement; serving no staple", metadata: ["staple.id": "\(id)"])
        emit(.expired(id, at: at))
    }

    /// Refreshes the aggregate gauges when their interval has passed.
    func sweepIfDue(now: Date) {
        let nowValue = now.timeIntervalSinceReferenceDate
        let aggregates = core.withLock { core -> StaplingMetrics.Sweep? in
            guard core.nextSweep <= nowValue else { return nil }
            core.nextSweep = nowValue + configuration.metricsInterval.seconds
            var sweep = StaplingMetrics.Sweep()
            for entry in core.entries.values {
                sweep.counts[entry.condition, default: 0] += 1
                sweep.longestStreak = max(sweep.longestStreak, Int(entry.failureStreak))
                if let until = entry.servedUntil {
                    let remaining = until.timeIntervalSinceReferenceDate - nowValue
                    sweep.soonestExpiry = min(sweep.soonestExpiry ?? remaining, remaining)
                    if remaining > 0, let thisUpdate = entry.thisUpdate {  // a staple served now: its age
                        let age = nowValue - thisUpdate.timeIntervalSinceReferenceDate
                        sweep.oldestAge = max(sweep.oldestAge ?? age, age)
                    }
                }
            }
            return sweep
        }
        if let aggregates { metrics.sweep(aggregates) }
    }
}

/// Set once by the graceful-shutdown handler, read by the loop.
package final class StopFlag: Sendable {
    package init() {}

    private let flag = Atomic<Bool>(false)
    package var isSet: Bool { flag.load(ordering: .acquiring) }
    package func set() { flag.store(true, ordering: .releasing) }
}
