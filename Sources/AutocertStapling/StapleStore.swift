import AutocertOCSP
import AutocertStorage
import Foundation
import Logging

/// A persisted staple that passed re-verification, with its place in the schedule.
struct RestoredStaple {
    let der: [UInt8]
    let thisUpdate: Date
    let until: Date
    let refresh: Date
    let revoked: Bool
}

extension StaplingManager {
    /// Loads (unless `bytes` are given, read already) and re-verifies the persisted staple of
    /// `id` (signature, CertID, times: RFC 6960 §3.2) as of now; nil when there is none or it
    /// fails any check.
    ///
    /// A tampered, foreign, expired or `unknown` blob is never served: it is logged and
    /// ignored, and the next successful fetch overwrites it.
    func restore(_ id: StapleID, subject: OCSPSubject, logger: Logger, bytes: [UInt8]? = nil) async -> RestoredStaple? {
        guard let storage else { return nil }
        let der: [UInt8]
        if let bytes {
            der = bytes
        } else {
            do {
                guard let bytes = try await storage.get(id.storageName) else { return nil }
                der = bytes
            } catch {
                logger.warning("could not read the persisted staple; fetching a new one", metadata: ["error": "\(error)"])
                return nil
            }
        }
        let now = clock.now
        let policy = OCSPVerificationPolicy(now: now, clockSkew: configuration.clockSkew)
        let answer: OCSPAnswer
        do {
            answer = try OCSPVerifier(subject: subject).verify(der, policy: policy)
        } catch {
            logger.warning("the persisted staple failed verification and is not served; fetching a new one", metadata: ["error": "\(error)"])
            metrics.failed("persistedRejected")
            return nil
        }
        let stapling = configuration.policy
        let until = stapling.servedUntil(thisUpdate: answer.thisUpdate, nextUpdate: answer.nextUpdate, certificateNotAfter: subject.certificate.notValidAfter)
        let revoked = answer.revocationTime != nil
        guard until > now, answer.status != .unknown, !revoked || stapling.staplesRevokedResponses else {
            logger.debug("the persisted staple is no longer usable (expired or not stapleable); fetching a new one")
            return nil
        }
        let refresh = stapling.refreshTime(thisUpdate: answer.thisUpdate, servedUntil: until, fetchedAt: now, maxAge: nil, unit: configuration.randomUnit())
        // The minimum interval protects the responder from our own fetches; a restart has
        // not fetched, so a staple past its refresh point is refreshed at once.
        let natural = stapling.refreshTime(thisUpdate: answer.thisUpdate, servedUntil: until, fetchedAt: answer.thisUpdate, maxAge: nil, unit: 0.5)
        logger.debug("serving the persisted staple", metadata: ["served.until": "\(until)"])
        return RestoredStaple(der: der, thisUpdate: answer.thisUpdate, until: until, refresh: natural <= now ? now : refresh, revoked: revoked)
    }

    /// Saves a staple so that a restart serves it at once; failures are logged, not fatal.
    ///
    /// When `id` was removed while the put ran, ``remove(_:)``'s delete may have come first:
    /// the put is undone, so a retired certificate's staple file does not outlive it.
    func persist(_ der: [UInt8], for id: StapleID, fencedBy lock: StorageLock? = nil) async {
        guard let storage else { return }
        do {
            if let lock, let locking = storage as? any LockingStorage {
                try await locking.put(id.storageName, der, fencedBy: lock)
            } else {
                try await storage.put(id.storageName, der)
            }
            if core.withLock({ $0.entries[id] == nil }) { try await storage.delete(id.storageName) }
        } catch {
            logger.warning("could not persist the staple; a restart will fetch it again", metadata: ["staple.id": "\(id)", "error": "\(error)"])
        }
    }
}
