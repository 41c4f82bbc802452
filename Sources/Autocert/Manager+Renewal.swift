import AutocertOCSP
import AutocertStapling
import Foundation
import Logging
import ServiceLifecycle

extension Manager {
    /// Runs renewal, the stapler and the stapler's event handling until graceful shutdown or
    /// cancellation; ``events`` finishes when this returns.
    ///
    /// One scheduler: with ``Configuration/stapleOCSP`` on, renewals ride on the stapler's
    /// loop (``RenewalWork``, attached at init), which sleeps until the earliest of every
    /// staple refresh, staple expiry and certificate renewal; without a stapler a loop of the
    /// same shape runs alone. Plans live in a min-heap (``Schedule``): renewal time, retry
    /// after backoff, or "now" for a revoked certificate; due renewals run as child tasks.
    /// The old certificate is served until its replacement is in place; a failed renewal is
    /// retried with backoff (``RenewalPolicy/retryDelay(failureStreak:unit:retryAfter:)``).
    ///
    /// Orders that handshakes start for new names run here too, as child tasks: on graceful
    /// shutdown the Manager stops taking them, cancels those in flight (their handshakes
    /// fail) and returns once every child has ended.
    public func run() async throws {
        let stopping = StopFlag()
        handshakeWork.start()
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                if let stapler {
                    group.addTask { try? await stapler.run() }
                    group.addTask {
                        for await event in stapler.events { await self.handle(event) }
                    }
                } else {
                    group.addTask { await self.renewalLoop(stopping: stopping) }
                }
                while !stopping.isSet, !Task.isCancelled {
                    for job in handshakeWork.takePending() { group.addTask { await job() } }
                    await handshakeWork.waitForJobs()
                }
                // Shutdown (or cancellation): what is queued or in flight is cancelled, so
                // its handshakes fail now instead of outliving the service.
                for job in handshakeWork.stop() { group.addTask { await job() } }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            stopping.set()
            self.handshakeWork.wakeUp()
            self.wake.signal()
        }
        eventContinuation.finish()
    }

    /// How often every served certificate's staple state is checked for a revocation whose
    /// event was missed (the stapler's event buffer is bounded).
    static let revocationSweepInterval: TimeInterval = 300

    /// The renewals due at `now` (marked as running), after the revocation sweep when due.
    func takeRenewalWork(now: Date) -> [@Sendable () async -> Void] {
        if schedule.withLock({ $0.sweepIsDue(now: now, interval: Self.revocationSweepInterval) }) {
            sweepRevoked()
        }
        return schedule.withLock { $0.takeDue(now: now) }.map { name, plan in
            { await self.renew(name, plan: plan) }
        }
    }

    /// When renewal work is next due: the earliest plan or the next revocation sweep.
    func nextRenewalDate() -> Date? {
        schedule.withLock { schedule in
            [schedule.nextDue(), schedule.nextSweep].compactMap { $0 }.min()
        }
    }

    /// The loop of a Manager without a stapler: renewals only.
    private func renewalLoop(stopping: StopFlag) async {
        await withDiscardingTaskGroup { group in
            while !stopping.isSet, !Task.isCancelled {
                for job in takeRenewalWork(now: clock.now) { group.addTask { await job() } }
                await wake.wait(until: nextRenewalDate() ?? .distantFuture, on: clock)
            }
            group.cancelAll()
        }
    }

    /// Replaces the certificate of `name`; on failure keeps serving the old one and plans a retry.
    func renew(_ name: String, plan: Schedule.Plan) async {
        guard let current = served.withLock({ $0[name] }) else {
            schedule.withLock { $0.remove(name) }
            return
        }
        guard configuration.hostPolicy.allows(name) else {
            logger.notice("the host policy no longer allows this name; it is no longer served or renewed (storage is kept)",
                          metadata: ["name": "\(name)"])
            await forget(name)
            return
        }
        do {
            // A flight for this name may still be finishing (the issuance whose certificate
            // turned out revoked, say): joining it would return that very certificate. So run
            // until this renewal's own work has run, joining at most a few others first.
            var renewed = false
            var attempts = 0
            while !renewed {
                attempts += 1
                _ = try await flights.run(name) {
                    renewed = true
                    let record = try await issue(name, reusing: plan.newKey ? nil : current.certificateKey)
                    metrics.renewed.increment()
                    return try await install(record) {
                        .renewed(name: name, notAfter: record.notAfter, renewAt: $0, newKey: plan.newKey)
                    }
                }
                if !renewed, attempts >= 3 {
                    throw AutocertError(.issuanceFailed, "renewing \(name) kept joining other flights for the name; retrying later")
                }
            }
        } catch {
            let failure = error as? AutocertError ?? AutocertError(.issuanceFailed, "renewing \(name) failed", underlying: error)
            let streak = plan.failureStreak + 1
            let delay = configuration.renewal.retryDelay(failureStreak: streak, unit: configuration.randomUnit(), retryAfter: failure.retryAfter)
            let next = clock.now.addingTimeInterval(delay.seconds)
            schedule.withLock { $0.set(name, Schedule.Plan(due: next, failureStreak: streak, newKey: plan.newKey, replacing: plan.replacing)) }
            metrics.failures.increment()
            logger.error("could not renew the certificate; the current one is still served",
                         metadata: ["name": "\(name)", "error": "\(failure)", "nextAttempt": "\(next)"])
            emit(.failed(name: name, error: failure, failureStreak: streak, nextAttempt: next))
            wake.signal()
        }
    }

    /// Reacts to the stapler: passes every event on; a revoked certificate (and, with
    /// must-staple, one left without a staple) is replaced at once.
    func handle(_ event: StaplingEvent) async {
        emit(.stapling(event))
        let id = event.id
        switch event {
        case .revoked(_, _, let reason):
            guard let name = servedName(for: id) else { return }  // not swapped in yet: install() checks
            replaceRevoked(name, reason: reason)
        case .expired where configuration.mustStaple:
            guard let name = servedName(for: id) else { return }
            logger.warning("the must-staple certificate has no staple left; replacing it now", metadata: ["name": "\(name)"])
            planReplacement(name, newKey: false)
        default:
            return
        }
    }

    /// Plans the immediate replacement of the revoked certificate of `name` (RFC 6960 §2.2
    /// revoked), with a new key when the reason is keyCompromise (RFC 5280 §5.3.1).
    func replaceRevoked(_ name: String, reason: OCSPRevocationReason?) {
        let planned = schedule.withLock { $0.plans[name] }
        if let planned, planned.replacing, planned.newKey || reason != .keyCompromise { return }  // already being replaced
        metrics.revocations.increment()
        logger.warning("the certificate is revoked; replacing it now", metadata: ["name": "\(name)", "reason": "\(reason.map(String.init(describing:)) ?? "none")"])
        emit(.revoked(name: name, reason: reason))
        planReplacement(name, newKey: reason == .keyCompromise)
    }

    private func planReplacement(_ name: String, newKey: Bool) {
        let now = clock.now
        schedule.withLock { schedule in
            let old = schedule.plans[name]
            schedule.set(name, Schedule.Plan(due: now, failureStreak: old?.failureStreak ?? 0, newKey: newKey || old?.newKey == true, replacing: true))
        }
        wake.signal()
    }

    /// Plans the replacement of every served certificate the stapler knows to be revoked and
    /// that is not already being replaced: the safety net for missed `revoked` events.
    func sweepRevoked() {
        guard let stapler else { return }
        let stapled = schedule.withLock { $0.names }
        for (id, name) in stapled {
            guard let info = stapler.info(for: id), info.condition == .revoked else { continue }
            replaceRevoked(name, reason: info.revocationReason)
        }
    }

    /// Stops serving `name`: out of the served map, the schedule and the stapler. What is in
    /// storage stays (allowing the name again loads it instead of ordering anew).
    func forget(_ name: String) async {
        let entry = served.withLock { $0.removeValue(forKey: name) }
        schedule.withLock { schedule in
            schedule.remove(name)
            if let id = entry?.stapleID { schedule.names[id] = nil }
        }
        if let stapler, let id = entry?.stapleID { await stapler.remove(id) }
    }

    private func servedName(for id: StapleID) -> String? {
        schedule.withLock { $0.names[id] }
    }
}
