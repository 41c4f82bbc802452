import AutocertACME
import AutocertOCSP
import AutocertStapling
import AutocertStaplingTLS
import AutocertStorage
import AutocertTLS
import Dispatch
import Foundation
import Logging
import X509

extension Manager {
    /// The stored path, then the new-name path; runs inside the name's single flight.
    func loadOrObtain(_ name: String) async throws -> CertifiedKey {
        if let record = await loadRecord(name) {
            metrics.loaded.increment()
            logger.info("certificate loaded from storage", metadata: ["name": "\(name)", "notAfter": "\(record.notAfter)"])
            return try await install(record) { .loaded(name: name, notAfter: record.notAfter, renewAt: $0) }
        }
        try checkRecentFailure(name)
        // The CA side (directory, nonce, account) gets ready while the order lock is taken and
        // the key is made and stored; the order waits for it inside the authority.
        async let authorityReady: Void = authority.prepare()
        let outcome: Obtained
        do {
            outcome = try await underOrderLock(name) { lock in
                // Under the lock, look again: another instance may have just stored it.
                if let stored = await self.loadRecord(name, reportsInvalid: false) { return .stored(stored) }
                return .issued(try await self.issue(name, reusing: nil, fencedBy: lock))
            }
        } catch {
            await authorityReady
            let failure = recordFailure(name, error)
            throw failure
        }
        await authorityReady
        schedule.withLock { _ = $0.failures.removeValue(forKey: name) }
        switch outcome {
        case .stored(let record):
            metrics.loaded.increment()
            logger.info("certificate another instance obtained loaded from storage", metadata: ["name": "\(name)", "notAfter": "\(record.notAfter)"])
            return try await install(record) { .loaded(name: name, notAfter: record.notAfter, renewAt: $0) }
        case .issued(let record):
            metrics.obtained.increment()
            return try await install(record) { .obtained(name: name, notAfter: record.notAfter, renewAt: $0) }
        }
    }

    /// The validated record of `name` from storage; nil when absent or invalid (logged, and
    /// reported unless `reportsInvalid` is false: a preload leaves that to the first handshake).
    func loadRecord(_ name: String, reportsInvalid: Bool = true) async -> CertificateRecord? {
        let bytes: [UInt8]?
        do {
            bytes = try await storage.get(CertificateRecord.storageName(for: name))
            storageRecovered()
        } catch {
            storageFailed(error)
            logger.warning("could not read the stored certificate; obtaining a new one", metadata: ["name": "\(name)", "error": "\(error)"])
            return nil
        }
        guard let bytes else { return nil }
        do {
            return try CertificateRecord(name: name, pem: String(decoding: bytes, as: UTF8.self), now: clock.now)
        } catch {
            guard reportsInvalid else { return nil }
            metrics.invalidRecords.increment()
            logger.warning("the stored certificate is invalid; treating it as absent", metadata: ["name": "\(name)", "error": "\(error)"])
            emit(.invalidStoredRecord(name: name, reason: error.reason))
            return nil
        }
    }

    /// Obtains a certificate for `name` with `key` (the current one, on renewal) or with the
    /// pending key (persisted BEFORE the CA is asked), and stores the record atomically.
    /// With `lock` (a cluster's order lock) the record is written fenced by it.
    func issue(_ name: String, reusing current: ACMECertificateKey?, replacing: String? = nil,
               fencedBy lock: StorageLock? = nil) async throws(AutocertError) -> CertificateRecord {
        let key: ACMECertificateKey
        if let current { key = current } else { key = try await pendingKey(for: name) }
        let started = DispatchTime.now()
        let chain: [[UInt8]]
        var request = CertificateRequest(names: [name], key: key, mustStaple: configuration.mustStaple && !caIssuesWithoutOCSP.load(ordering: .relaxed),
                                         profile: configuration.profile, replaces: replacing)
        do {
            do {
                chain = try await authority.issueCertificate(request, challenges: challenges)
            } catch let error as ACMEError where request.mustStaple && error.refusesMustStaple {
                noteCAWithoutOCSP(because: "it refused a Must-Staple CSR (\(error.problem?.detail ?? error.reason))")
                request.mustStaple = false
                chain = try await authority.issueCertificate(request, challenges: challenges)
            }
        } catch let error as AutocertError {
            throw error
        } catch {
            throw AutocertError(.issuanceFailed, "the CA did not issue a certificate for \(name)", underlying: error)
        }
        metrics.issuanceDuration.recordInterval(since: started)
        let record = try CertificateRecord(name: name, key: key, chain: chain, now: clock.now)
        // The first staple fetch starts now and runs while the record is stored; ``install``
        // then finds the certificate registered with the stapler and waits for that fetch.
        _ = await registerForStapling(record)
        do {
            try await store(CertificateRecord.storageName(for: name), Array(record.pem.utf8), fencedBy: lock)
            try await storage.delete(CertificateRecord.pendingKeyName(for: name))
        } catch {
            // Served from memory and written again when storage works (``retryUnsavedRecords``);
            // until then the key survives in the pending blob, so a restart reorders with it.
            unsaved.withLock { $0[name] = record }
            metrics.storageFailures.increment()
            logger.error("could not store the new certificate; it is served, and storing it is retried every 30 s",
                         metadata: ["name": "\(name)", "error": "\(error)"])
        }
        logger.info("certificate issued", metadata: ["name": "\(name)", "notAfter": "\(record.notAfter)"])
        return record
    }

    /// The key of an order in progress for `name`: the persisted one if it is readable, else a
    /// fresh key of ``Configuration/keyType``, written to storage before it is returned.
    func pendingKey(for name: String) async throws(AutocertError) -> ACMECertificateKey {
        let storageName = CertificateRecord.pendingKeyName(for: name)
        if let bytes = try? await storage.get(storageName), let key = try? ACMECertificateKey(pemRepresentation: String(decoding: bytes, as: UTF8.self)) {
            return key
        }
        do {
            let key = try ACMECertificateKey.generate(configuration.keyType)
            try await storage.put(storageName, Array(key.pemRepresentation.utf8))
            return key
        } catch let error as StorageError {
            throw AutocertError(.storageFailed, "could not store the key for \(name) before ordering: \(error.reason)", underlying: error)
        } catch {
            throw AutocertError(.issuanceFailed, "could not make a \(configuration.keyType) key for \(name)", underlying: error)
        }
    }

    /// Remembers that the CA issues without OCSP, so Must-Staple is no longer asked of it.
    func noteCAWithoutOCSP(because reason: String) {
        guard !caIssuesWithoutOCSP.exchange(true, ordering: .relaxed), configuration.mustStaple else { return }
        logger.notice("the CA issues certificates without OCSP; Must-Staple is no longer asked of it", metadata: ["reason": "\(reason)"])
    }

    /// Serves `record` for its name: registers it with the stapler (when stapling is on) and,
    /// when no staple is stored, waits for its first (up to ``Configuration/firstStapleTimeout``);
    /// swaps it in with the stapler as its staple source; plans its renewal; retires the old
    /// certificate's staple; reports `event`.
    func install(_ record: CertificateRecord, event: (Date) -> ManagerEvent) async throws(AutocertError) -> CertifiedKey {
        let name = record.name
        let hasOCSP = ((try? record.leaf.extensions.authorityInformationAccess) ?? nil)?.contains { $0.method == .ocspServer } ?? false
        if !hasOCSP { noteCAWithoutOCSP(because: "the certificate of \(name) has no OCSP URL") }  // the normal case today: no warning
        let stapleID = await registerForStapling(record)
        if let stapler, let stapleID {
            _ = await stapler.firstStaple(for: stapleID, timeout: configuration.firstStapleTimeout)
        }
        let key: CertifiedKey
        do {
            key = try record.certifiedKey(stapleSource: stapleID.flatMap { id in stapler?.stapleSource(for: id) })
        } catch {
            throw AutocertError(.invalidRecord, "the certificate of \(name) cannot be served", underlying: error)
        }
        let renewAt = configuration.renewal.renewalTime(notBefore: record.notBefore, notAfter: record.notAfter, unit: configuration.randomUnit())
        let entry = ServedCertificate(key: key, notAfter: record.notAfter.timeIntervalSinceReferenceDate, stapleID: stapleID,
                                      certificateKey: record.key)
        let old = served.withLock { served in
            defer { served[name] = entry }
            return served[name]
        }
        schedule.withLock { schedule in
            schedule.set(name, Schedule.Plan(due: renewAt))
            schedule.forgetRenewalInfo(name)  // a new certificate: ask the CA about it at once (RFC 9773 §4.3)
            schedule.planRenewalInfoCheck(name, at: clock.now)
        }
        wake.signal()
        if let stapler, let stapleID, let info = stapler.info(for: stapleID), info.condition == .revoked {
            replaceRevoked(name, reason: info.revocationReason)  // revoked in storage, or before it was swapped in
        }
        if let stapler, let oldID = old?.stapleID, oldID != stapleID {
            await stapler.remove(oldID)
        }
        emit(event(renewAt))
        return key
    }

    /// Registers `record`'s certificate with the stapler (when stapling is on and the chain has
    /// its issuer), which queues its first fetch at once (or serves a stored staple, verified
    /// again); returns its ID, or nil when it is not stapled. Registering again changes
    /// nothing, so ``issue(_:reusing:replacing:fencedBy:)`` calls it as soon as the chain is
    /// downloaded and ``install(_:event:)`` again for any record.
    func registerForStapling(_ record: CertificateRecord) async -> StapleID? {
        guard let stapler, record.chain.count > 1 else { return nil }
        do {
            // CertificateRecord verified the issuer's signature on the leaf when it was made.
            return await stapler.add(try OCSPSubject(certificate: record.leaf, issuerDER: record.chain[1], issuerSignatureVerified: true))
        } catch {
            logger.warning("the certificate cannot be stapled", metadata: ["name": "\(record.name)", "error": "\(error)"])
            return nil
        }
    }

    /// Throws ``AutocertError/Code/recentlyFailed`` while `name` is in its retry backoff.
    func checkRecentFailure(_ name: String) throws(AutocertError) {
        let now = clock.now
        if let failure = schedule.withLock({ $0.failures[name] }), failure.until > now {
            throw AutocertError(.recentlyFailed, "obtaining \(name) failed \(failure.streak) time(s) in a row; the next attempt is allowed at \(failure.until)")
        }
    }

    /// Counts a failure of a new name and starts its backoff; returns the error to throw.
    func recordFailure(_ name: String, _ error: AutocertError) -> AutocertError {
        let now = clock.now
        let streak = (schedule.withLock { $0.failures[name]?.streak } ?? 0) + 1
        let until = now.addingTimeInterval(configuration.renewal.retryDelay(failureStreak: streak, unit: configuration.randomUnit(), retryAfter: error.retryAfter).seconds)
        schedule.withLock { $0.failures[name] = (streak, until) }
        metrics.orderFailures.increment()
        logger.error("could not obtain a certificate", metadata: ["name": "\(name)", "error": "\(error)", "nextAttempt": "\(until)"])
        emit(.failed(name: name, error: error, failureStreak: streak, nextAttempt: until))
        return error
    }
}
