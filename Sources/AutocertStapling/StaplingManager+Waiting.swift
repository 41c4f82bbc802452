import Foundation

extension StaplingManager {
    /// Someone awaiting a certificate's first answer (``firstStaple(for:timeout:)``).
    struct Waiter {
        let id: StapleID
        var continuation: CheckedContinuation<Void, Never>?
        var fired = false
    }

    /// The staple for `id`, waiting up to `timeout` for the first fetch to finish.
    ///
    /// For a certificate just added: returns the staple as soon as one is served, or nil
    /// when the first attempt ends without one (failure, unknown, no responder) or the
    /// deadline passes; the caller then goes on without a staple, and the background
    /// refresh supplies one later. The deadline is real (monotonic) time. The fetch itself
    /// happens in ``run()``, which must be running.
    public func firstStaple(for id: StapleID, timeout: Duration = .seconds(10)) async -> [UInt8]? {
        if let staple = staple(for: id) { return staple }
        let token = core.withLock { core -> UInt64? in
            guard let entry = core.entries[id], entry.condition == .pending, entry.servedUntil == nil else { return nil }
            core.nextWaiterToken += 1
            core.waiters[core.nextWaiterToken] = Waiter(id: id)
            return core.nextWaiterToken
        }
        guard let token else { return staple(for: id) }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitForSignal(token) }
            group.addTask {
                try? await Task.sleep(for: timeout)
                self.fire(token)
            }
            await group.next()
            group.cancelAll()
        }
        core.withLock { _ = $0.waiters.removeValue(forKey: token) }
        return staple(for: id)
    }

    private func waitForSignal(_ token: UInt64) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = core.withLock { core -> Bool in
                    guard !Task.isCancelled, let waiter = core.waiters[token], !waiter.fired else { return true }
                    core.waiters[token]!.continuation = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            fire(token)
        }
    }

    /// Ends the wait of `token`: resumes it, or marks it so that it does not start waiting.
    private func fire(_ token: UInt64) {
        let continuation = core.withLock { core -> CheckedContinuation<Void, Never>? in
            guard core.waiters[token] != nil else { return nil }
            core.waiters[token]!.fired = true
            defer { core.waiters[token]!.continuation = nil }
            return core.waiters[token]!.continuation
        }
        continuation?.resume()
    }

    /// Ends every wait for `id` (its first attempt finished, or it was removed).
    func resumeWaiters(for id: StapleID) {
        let tokens = core.withLock { core in core.waiters.filter { $0.value.id == id }.map(\.key) }
        for token in tokens { fire(token) }
    }
}
