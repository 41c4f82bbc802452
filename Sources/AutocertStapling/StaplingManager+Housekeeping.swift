import AutocertOCSP
import Foundation

extension StaplingManager {
    /// How long a persisted staple that belongs to no managed certificate is kept after its
    /// end: a day, so a certificate loaded late after a restart still finds a fresh one.
    static let orphanRetention: TimeInterval = 86_400
    /// How often the persisted staples are swept (also once at the start of ``run()``).
    static let storageSweepInterval: TimeInterval = 12 * 3600

    /// Deletes persisted staples (`ocsp-…`) that belong to no certificate managed now and
    /// whose nextUpdate (or, without one, thisUpdate plus the verifier's 7-day bound) passed
    /// more than ``orphanRetention`` ago, or that are not OCSP responses at all: what a
    /// crash between a renewal and the old staple's deletion leaves behind, so that storage
    /// stays bounded however many short-lived certificates come and go. Returns how many
    /// were deleted. Nothing here is trusted: an expired staple is never served anyway.
    @discardableResult
    func sweepStorage(now: Date) async -> Int {
        guard let storage else { return 0 }
        let names: [String]
        do { names = try await storage.list(prefix: StapleID.storagePrefix) } catch {
            logger.warning("could not list the persisted staples to sweep them", metadata: ["error": "\(error)"])
            return 0
        }
        let managed = core.withLock { Set($0.entries.keys.map(\.storageName)) }
        let bound = OCSPVerificationPolicy().maximumAgeWithoutNextUpdate?.seconds ?? 7 * 86_400
        var deleted = 0
        for name in names where !managed.contains(name) {
            guard let bytes = try? await storage.get(name) else { continue }
            let end: Date?
            if let times = try? OCSPVerifier.claimedTimes(bytes) {
                end = times.nextUpdate ?? times.thisUpdate.addingTimeInterval(bound)
            } else {
                end = nil  // not an OCSP response: nothing this manager wrote, or damaged
            }
            if let end, end.addingTimeInterval(Self.orphanRetention) > now { continue }
            do {
                try await storage.delete(name)
                deleted += 1
            } catch {
                logger.warning("could not delete an old persisted staple", metadata: ["name": "\(name)", "error": "\(error)"])
            }
        }
        if deleted > 0 {
            logger.info("deleted old persisted staples of certificates no longer managed", metadata: ["count": "\(deleted)"])
        }
        return deleted
    }
}
