import AutocertOCSP
import AutocertStorage
import Foundation
import Logging

/// Staples in a cluster: when the storage is a ``LockingStorage`` shared by several
/// instances, at most one of them fetches a certificate's staple per refresh window.
///
/// When a refresh falls due, an instance first looks at the stored staple: one that another
/// instance fetched since (newer than what it serves, not yet due for refresh) is verified
/// again and served, with no fetch. Otherwise it tries the certificate's lock without
/// waiting: the holder looks once more, fetches, verifies and stores the staple (fenced by the
/// lock) and releases; an instance that finds the lock taken looks again a few seconds later,
/// by when the holder has stored its answer. A holder that dies stops renewing its lease, and
/// the next instance to look after the lease ends fetches. When the store cannot be reached,
/// an instance fetches on its own: serving a fresh staple matters more than sparing the
/// responder one request. Instances also hear of stored staples at once through
/// ``AutocertStorage/ObservableStorage`` and look at them every
/// ``clusterReconciliationInterval`` in case a notification was missed.
extension StaplingManager {
    /// How long a fetch lock is held at most without renewal: the fetch deadline and a margin.
    var fetchLockLease: Duration { configuration.fetchTimeout + .seconds(20) }

    /// How often every managed certificate's stored staple is compared with the served one,
    /// when the storage tells of changes (a notification may be missed). Five minutes.
    static let clusterReconciliationInterval: TimeInterval = 300

    /// The name of the lock on fetching `id`'s staple.
    static func fetchLockName(_ id: StapleID) -> String { "ocsp-lock+" + id.hex }

    /// Fetches `id`'s staple as one instance of a cluster (see the type's discussion); the
    /// caller has checked the certificate's state.
    func fetchCoordinated(_ id: StapleID, subject: OCSPSubject, url: String, now: Date, storage: any LockingStorage) async {
        // A staple adopted since this fetch fell due (from a change notification, which may
        // come between the scheduler taking the fetch and the fetch starting) planned the
        // next refresh in the future: then nothing is due any more.
        let noLongerDue = { (self.core.withLock { $0.entries[id]?.nextAttempt } ?? .distantFuture) > self.clock.now }
        if noLongerDue() { return }
        if await adoptStored(id, subject: subject) || noLongerDue() { return }
        let lock: StorageLock?
        do {
            lock = try await storage.tryLock(Self.fetchLockName(id), lease: fetchLockLease)
        } catch {
            logger.debug("the fetch lock cannot be taken (storage unreachable); fetching without it",
                         metadata: ["staple.id": "\(id)", "error": "\(error)"])
            return await fetchAndApply(id, subject: subject, url: url, now: now, fencedBy: nil)
        }
        guard let lock else {
            // Another instance fetches now; its staple will be stored within its deadline.
            let next = clock.now.addingTimeInterval(3 + 4 * configuration.randomUnit())
            core.withLock { $0.schedule(id, at: next, kind: .fetch) }
            logger.debug("another instance is fetching this staple; looking at storage again shortly",
                         metadata: ["staple.id": "\(id)", "next.look": "\(next)"])
            return
        }
        if await adoptStored(id, subject: subject) || noLongerDue() {
            try? await storage.unlock(lock)
            return
        }
        await fetchAndApply(id, subject: subject, url: url, now: now, fencedBy: lock)
        try? await storage.unlock(lock)
    }

    /// Serves the stored staple of `id` when another instance stored one newer than the one
    /// served here and not yet due for refresh: verified again (RFC 6960 §3.2) as any
    /// restored staple is. Returns whether it did.
    @discardableResult
    func adoptStored(_ id: StapleID, subject: OCSPSubject) async -> Bool {
        var log = logger
        log[metadataKey: "staple.id"] = "\(id)"
        // The common case costs one read: the stored staple is the one served here.
        guard let bytes = try? await storage?.get(id.storageName), bytes != served.get(id)?.der else { return false }
        guard let stored = await restore(id, subject: subject, logger: log, bytes: bytes) else { return false }
        let now = clock.now
        let adopted = core.withLock { core -> Bool in
            guard let entry = core.entries[id] else { return false }
            if let current = entry.thisUpdate, stored.thisUpdate <= current { return false }
            guard stored.refresh > now else { return false }  // due: this instance should fetch (or look again)
            core.install(id, der: stored.der, thisUpdate: stored.thisUpdate, until: stored.until, served: served)
            core.entries[id]!.condition = stored.revoked ? .revoked : .stapled
            core.entries[id]!.failureStreak = 0
            core.entries[id]!.lastFailure = nil
            core.schedule(id, at: stored.refresh, kind: .fetch)
            return true
        }
        guard adopted else { return false }
        log.debug("serving the staple another instance fetched", metadata: ["served.until": "\(stored.until)", "refresh": "\(stored.refresh)"])
        emit(.adopted(id, thisUpdate: stored.thisUpdate, servedUntil: stored.until, nextRefresh: stored.refresh))
        resumeWaiters(for: id)
        wake.signal()
        return true
    }

    /// Looks at the stored staples named in `changes` (and, every reconciliation interval, at
    /// every managed one), adopting those another instance stored. Runs until cancelled.
    func followStoredStaples(_ changes: AsyncStream<String>) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await name in changes {
                    guard let id = StapleID(storageName: name) else { continue }
                    await self.adoptStored(id)
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await self.clock.sleep(until: self.clock.now.addingTimeInterval(Self.clusterReconciliationInterval))
                    if Task.isCancelled { return }
                    for id in self.core.withLock({ Array($0.entries.keys) }) { await self.adoptStored(id) }
                }
            }
            await group.next()
            group.cancelAll()
        }
    }

    /// ``adoptStored(_:subject:)`` for a managed certificate.
    private func adoptStored(_ id: StapleID) async {
        guard let entry = core.withLock({ $0.entries[id] }), entry.responderURL != nil,
              let subject = try? entry.subject() else { return }
        await adoptStored(id, subject: subject)
    }
}
