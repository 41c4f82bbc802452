import AutocertOCSP
import AutocertStorage
import Foundation
import Logging

extension StaplingManager {
    /// Fetches, verifies and applies one response for `id` (a child task of ``run()``).
    func fetch(_ id: StapleID) async {
        defer {
            core.withLock { core in
                core.inFlight -= 1
                guard var entry = core.entries[id] else { return }
                entry.fetchInFlight = false
                let replan = entry.planDueDuringFetch ? entry.nextAttempt : nil
                core.entries[id] = entry
                if let replan { core.schedule(id, at: replan, kind: .fetch) }
            }
            resumeWaiters(for: id)
            wake.signal()
        }
        guard let entry = core.withLock({ $0.entries[id] }), let url = entry.responderURL else { return }
        let notAfter = entry.notAfter
        let now = clock.now
        guard now < notAfter else {
            core.withLock { $0.entries[id]?.condition = .certificateExpired }
            logger.info("the certificate has expired; no more OCSP fetches for it", metadata: ["staple.id": "\(id)"])
            return
        }
        let subject: OCSPSubject
        do { subject = try entry.subject() } catch {
            failed(id, error: error, now: now)
            return
        }
        if let storage = storage as? any LockingStorage {
            await fetchCoordinated(id, subject: subject, url: url, now: now, storage: storage)
        } else {
            await fetchAndApply(id, subject: subject, url: url, now: now, fencedBy: nil)
        }
    }

    /// One fetch and its outcome: the answer applied (and stored, fenced by `lock` when the
    /// fetch is a cluster's one), or the failure recorded.
    func fetchAndApply(_ id: StapleID, subject: OCSPSubject, url: String, now: Date, fencedBy lock: StorageLock?) async {
        switch await check(subject, url: url, now: now) {
        case .success(let answer):
            await accept(answer, for: id, fetchedAt: now, fencedBy: lock)
        case .failure(let error):
            failed(id, error: error, now: now)
        }
    }

    /// One OCSP exchange under the per-fetch deadline.
    func check(_ subject: OCSPSubject, url: String, now: Date) async -> Result<OCSPAnswer, OCSPError> {
        let client = self.client
        let timeout = configuration.fetchTimeout
        return await withTaskGroup(of: Result<OCSPAnswer, OCSPError>?.self) { group in
            group.addTask {
                do throws(OCSPError) {
                    return .success(try await client.check(subject, responderURL: url, now: now))
                } catch {
                    return .failure(error)
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? .failure(OCSPError(.timedOut, "\(url) gave no complete answer within \(timeout); the responder is slow or unreachable"))
        }
    }

    /// Applies a verified answer: serve it (good, or revoked when configured), plan the
    /// refresh, persist it, report it. `unknown` is not served (RFC 6960 §2.2).
    func accept(_ answer: OCSPAnswer, for id: StapleID, fetchedAt now: Date, fencedBy lock: StorageLock? = nil) async {
        let policy = configuration.policy
        guard let notAfter = core.withLock({ $0.entries[id]?.notAfter }) else { return }
        let until = policy.servedUntil(thisUpdate: answer.thisUpdate, nextUpdate: answer.nextUpdate, certificateNotAfter: notAfter)
        guard until > now else {
            // Verified within the clock skew, but already past its end: stale.
            failed(id, error: OCSPError(.expired, "the response's validity ended at \(until) (now \(now)); the responder serves stale data"), now: now)
            return
        }
        metrics.fetched(answer.status, age: now.timeIntervalSince(answer.thisUpdate))
        let unit = configuration.randomUnit()
        var log = logger
        log[metadataKey: "staple.id"] = "\(id)"
        if case .unknown = answer.status {
            let next = now.addingTimeInterval(policy.retryCeiling.seconds * (0.5 + unit / 2))
            // A completed exchange: no failure streak, but nothing to staple (RFC 6960 §2.2).
            let firstTime = core.withLock { core -> Bool in
                guard var entry = core.entries[id] else { return false }
                if entry.servedUntil == nil, entry.condition != .revoked { entry.condition = .unknownToResponder }
                let first = !entry.loggedUnknown
                entry.loggedUnknown = true
                entry.failureStreak = 0
                entry.lastFailure = nil
                core.entries[id] = entry
                core.schedule(id, at: next, kind: .fetch)
                return first
            }
            if firstTime { log.debug("the responder does not know this certificate (status unknown); not stapling it", metadata: ["responder": "\(url(answer))"]) }
            return
        }
        let revoked = answer.revocationTime != nil
        let stapling = !revoked || policy.staplesRevokedResponses
        let refresh = policy.refreshTime(thisUpdate: answer.thisUpdate, servedUntil: until, fetchedAt: now, maxAge: answer.maxAge, unit: unit)
        guard let firstRevocation = core.withLock({ core -> Bool? in
            guard core.entries[id] != nil else { return nil }
            let wasRevoked = core.entries[id]!.revocation != nil
            if stapling {
                core.install(id, der: answer.derBytes, thisUpdate: answer.thisUpdate, until: until, served: served)
            } else {
                served.remove(id)
                core.entries[id]!.servedUntil = nil
            }
            core.entries[id]!.condition = revoked ? .revoked : .stapled
            core.entries[id]!.revocation = answer.revocationTime.map { Box(Revocation(time: $0, reason: answer.revocationReason)) }
            core.entries[id]!.failureStreak = 0
            core.entries[id]!.lastFailure = nil
            core.entries[id]!.loggedUnknown = false
            core.schedule(id, at: refresh, kind: .fetch)
            return revoked && !wasRevoked
        }) else { return }
        if firstRevocation, let time = answer.revocationTime {
            metrics.revoked()
            log.error("the certificate is REVOKED according to its OCSP responder; replace it", metadata: [
                "revoked.at": "\(time)", "revoked.reason": "\(answer.revocationReason.map { "\($0)" } ?? "unspecified")",
                "stapled": "\(stapling)",
            ])
            emit(.revoked(id, time: time, reason: answer.revocationReason))
        }
        log.debug("fetched a verified OCSP response", metadata: ["status": "\(answer.status)", "served.until": "\(until)", "refresh": "\(refresh)"])
        emit(.fetched(id, status: answer.status, thisUpdate: answer.thisUpdate, servedUntil: until, nextRefresh: refresh))
        resumeWaiters(for: id)
        if stapling { await persist(answer.derBytes, for: id, fencedBy: lock) }
    }

    /// Records a failure, plans the retry with backoff, and reports it.
    func failed(_ id: StapleID, error: OCSPError, now: Date) {
        let policy = configuration.policy
        let unit = configuration.randomUnit()
        guard let (streak, next, servingUntil, warn) = core.withLock({ core -> (Int, Date, Date?, Bool)? in
            guard var entry = core.entries[id] else { return nil }
            entry.failureStreak += 1
            entry.lastFailure = error
            if entry.servedUntil == nil, entry.condition != .revoked { entry.condition = .failing }
            let delay = policy.retryDelay(failureStreak: Int(entry.failureStreak), unit: unit, retryAfter: error.retryAfter)
            let next = now.addingTimeInterval(delay.seconds)
            var warn = false
            if let until = entry.servedUntil, !entry.warnedExpiring,
               next >= until || until.timeIntervalSince(now) <= policy.safetyMargin.seconds {
                entry.warnedExpiring = true
                warn = true
            }
            core.entries[id] = entry
            core.schedule(id, at: next, kind: .fetch)
            return (Int(entry.failureStreak), next, entry.servedUntil, warn)
        }) else { return }
        metrics.failed("\(error.code)")
        // An outage over many certificates must not flood the log: warn on the first failure
        // and then at streaks 2, 4, 8, …; the rest goes to debug (events and metrics see all).
        let level: Logger.Level = streak & (streak - 1) == 0 || warn ? .warning : .debug
        logger.log(level: level, "OCSP fetch failed", metadata: [
            "staple.id": "\(id)", "error": "\(error)", "failure.streak": "\(streak)", "next.attempt": "\(next)",
            "serving.until": "\(servingUntil.map { "\($0)" } ?? "none")",
        ])
        emit(.failed(id, reason: error, failureStreak: streak, nextAttempt: next, servingUntil: servingUntil))
        if warn, let servingUntil {
            emit(.expiringWithoutRefresh(id, expiresAt: servingUntil, nextAttempt: next))
        }
    }

    private func url(_ answer: OCSPAnswer) -> String { answer.responderURL ?? "?" }
}
