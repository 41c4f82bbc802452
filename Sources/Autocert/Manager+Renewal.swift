import AutocertOCSP
import AutocertStapling
import AutocertStorage
import Foundation
import Logging
import ServiceLifecycle

extension Manager {
    /// Runs renewal, the stapler and the handling of the stapler's events until graceful
    /// shutdown or cancellation; every event stream (``subscribe(bufferingNewest:)``)
    /// finishes when this returns.
    ///
    /// Each layer schedules its own work: the stapler runs its own loop (staple refreshes
    /// and expiry); the Manager's loop sleeps until the earliest renewal or revocation sweep
    /// or until woken. Plans live in a min-heap (``Schedule``): renewal time, retry after
    /// backoff, or "now" for a revoked certificate; due renewals run as child tasks. The old
    /// certificate is served until its replacement is in place; a failed renewal is retried
    /// with backoff (``RenewalPolicy/retryDelay(failureStreak:unit:retryAfter:)``).
    ///
    /// Orders that handshakes start for new names run here too, as child tasks: on graceful
    /// shutdown the Manager stops taking them, cancels those in flight (their handshakes
    /// fail) and returns once every child has ended.
    public func run() async throws {
        let stopping = StopFlag()
        handshakeWork.start()
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                if let stapler, let stapling {
                    group.addTask { try? await stapler.run() }
                    group.addTask {
                        for await event in stapling { self.handle(event) }
                    }
                }
                // In a cluster: what other instances store (subscribed before the preload, so
                // nothing stored meanwhile is missed).
                if let observable = storage as? any ObservableStorage, storage is any LockingStorage {
                    let changes = observable.changes()
                    group.addTask { await self.followStorage(changes) }
                }
                if configuration.preloadsStoredCertificates {
                    group.addTask { await self.preloadStoredCertificates() }
                }
                group.addTask { await self.renewalLoop(stopping: stopping) }
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
        broadcast.finish()
    }

    /// How often the stapler is asked for revoked certificates whose event was missed (each
    /// subscriber's event buffer is bounded).
    static let revocationSweepInterval: TimeInterval = 300

    /// The Manager's loop: renewals and renewal-information checks due now run as child
    /// tasks; then it sleeps until the next plan, check or sweep, or until woken.
    private func renewalLoop(stopping: StopFlag) async {
        await withDiscardingTaskGroup { group in
            var nextStorageSweep = Date.distantPast
            var nextUnsavedRetry = Date.distantPast
            while !stopping.isSet, !Task.isCancelled {
                let now = clock.now
                if now >= nextUnsavedRetry {
                    nextUnsavedRetry = now.addingTimeInterval(Self.unsavedRetryInterval)
                    if unsaved.withLock({ !$0.isEmpty }) { group.addTask { await self.retryUnsavedRecords() } }
                }
                if schedule.withLock({ $0.sweepIsDue(now: now, interval: Self.revocationSweepInterval) }) {
                    sweepRevoked()
                }
                if now >= nextStorageSweep {
                    nextStorageSweep = now.addingTimeInterval(Self.storageSweepInterval)
                    group.addTask { await self.sweepExpiredRecords(now: now) }
                }
                for (name, plan) in schedule.withLock({ $0.takeDue(now: now) }) {
                    group.addTask { await self.renew(name, plan: plan) }
                }
                for name in schedule.withLock({ $0.takeDueRenewalInfoChecks(now: now) }) {
                    group.addTask { await self.checkRenewalInfo(name) }
                }
                let next = schedule.withLock { schedule in
                    [schedule.nextDue(), schedule.nextSweep, schedule.nextRenewalInfoCheck(), nextStorageSweep,
                     unsaved.withLock { $0.isEmpty } ? nil : nextUnsavedRetry].compactMap { $0 }.min()
                }
                await wake.wait(until: next ?? .distantFuture, on: clock)
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
                    let reusing = plan.newKey ? nil : current.certificateKey
                    let replacing = replacedCertificateIdentifier(name, current: current)
                    let outcome = try await underOrderLock(name) { lock in
                        // Under the lock, look again: another instance may have renewed it.
                        if let stored = await self.newerStoredRecord(name, than: current) { return .stored(stored) }
                        return .issued(try await self.issue(name, reusing: reusing, replacing: replacing, fencedBy: lock))
                    }
                    switch outcome {
                    case .stored(let record):
                        metrics.loaded.increment()
                        logger.info("certificate another instance renewed loaded from storage", metadata: ["name": "\(name)", "notAfter": "\(record.notAfter)"])
                        return try await install(record) { .loaded(name: name, notAfter: record.notAfter, renewAt: $0) }
                    case .issued(let record):
                        metrics.renewed.increment()
                        return try await install(record) {
                            .renewed(name: name, notAfter: record.notAfter, renewAt: $0, newKey: plan.newKey)
                        }
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
            metrics.renewalFailures.increment()
            logger.error("could not renew the certificate; the current one is still served",
                         metadata: ["name": "\(name)", "error": "\(failure)", "nextAttempt": "\(next)"])
            emit(.failed(name: name, error: failure, failureStreak: streak, nextAttempt: next))
            wake.signal()
        }
    }

    /// Reacts to the stapler: passes every event on; a revoked certificate (and, with
    /// must-staple, one left without a staple) is replaced at once.
    func handle(_ event: StaplingEvent) {
        emit(.stapling(event))
        switch event {
        case .revoked(let id, _, let reason):
            for name in servedNames(of: id) { replaceRevoked(name, reason: reason) }  // not swapped in yet: install() checks
        case .expired(let id, _) where configuration.mustStaple:
            for name in servedNames(of: id) {
                logger.warning("the must-staple certificate has no staple left; replacing it now", metadata: ["name": "\(name)"])
                planReplacement(name, newKey: false)
            }
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
        for problem in stapler.health().problems where problem.info.condition == .revoked {
            for name in servedNames(of: problem.id, certificateDER: problem.info.certificateDER) {
                replaceRevoked(name, reason: problem.info.revocationReason)
            }
        }
    }

    /// Stops serving `name`: out of the served map, the schedule and the stapler. What is in
    /// storage stays (allowing the name again loads it instead of ordering anew).
    func forget(_ name: String) async {
        let entry = served.withLock { $0.removeValue(forKey: name) }
        schedule.withLock { $0.remove(name) }
        if let stapler, let id = entry?.stapleID { await stapler.remove(id) }
    }

    /// The names served now with the certificate the stapler knows as `id`: the names of that
    /// certificate (its subjectAltName, RFC 5280 §4.2.1.6) whose served entry is that very certificate.
    private func servedNames(of id: StapleID, certificateDER: [UInt8]? = nil) -> [String] {
        guard let der = certificateDER ?? stapler?.info(for: id)?.certificateDER else { return [] }
        return CertificateRecord.identifiers(ofCertificate: der).filter { name in
            served.withLock { $0[name]?.stapleID == id }
        }
    }
}
