import Foundation

extension LockingStorage {
    /// Runs `body` holding the lock on `name`: waits for it up to `wait` (polling with backoff),
    /// renews its lease every third of `lease` while `body` runs, and releases it afterwards.
    ///
    /// When a renewal finds the lock lost (the store was unreachable for a whole lease and
    /// another holder took it), `body` is cancelled and ``StorageError/Code/lockLost`` is
    /// thrown: nothing it wrote with ``put(_:_:fencedBy:)`` after that was stored.
    ///
    /// - Throws: ``StorageError/Code/lockBusy`` when the lock did not come free within `wait`;
    ///   the store's errors; `body`'s errors.
    public func withLock<Result: Sendable>(
        _ name: String, lease: Duration = .seconds(30), waitingUpTo wait: Duration = .seconds(300),
        _ body: @escaping @Sendable (StorageLock) async throws -> Result
    ) async throws -> Result {
        let lock = try await acquire(name, lease: lease, waitingUpTo: wait)
        let outcome: Swift.Result<Result, any Error> = await withTaskGroup(of: Swift.Result<Result, any Error>?.self) { group in
            group.addTask {
                do { return .success(try await body(lock)) } catch { return .failure(error) }
            }
            group.addTask {
                // Renews until cancelled; reports a lost lock as the outcome.
                while !Task.isCancelled {
                    try? await Task.sleep(for: lease / 3)
                    if Task.isCancelled { return nil }
                    if let held = try? await self.renew(lock, lease: lease), !held {
                        return .failure(StorageError(.lockLost, "the lock '\(name)' was lost while it was held (its lease of \(lease) ended and another holder took it); what was done under it was not stored"))
                    }
                }
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? .failure(CancellationError())
        }
        try? await unlock(lock)
        return try outcome.get()
    }

    /// Takes the lock on `name`, polling from 50 ms doubling to 2 s until `wait` has passed.
    func acquire(_ name: String, lease: Duration, waitingUpTo wait: Duration) async throws -> StorageLock {
        let deadline = ContinuousClock.now.advanced(by: wait)
        var pause = Duration.milliseconds(50)
        while true {
            if let lock = try await tryLock(name, lease: lease) { return lock }
            guard ContinuousClock.now.advanced(by: pause) < deadline else {
                throw StorageError(.lockBusy, "the lock '\(name)' stayed held by another process for \(wait); it is busy with the same work, or its holder is stuck")
            }
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .seconds(2))
        }
    }
}
