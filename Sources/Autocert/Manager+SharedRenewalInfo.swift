import AutocertACME
import AutocertStorage
import Foundation

/// Renewal information in a cluster: the CA is asked once per certificate per check period
/// (its Retry-After, RFC 9773 §4.3), by whichever instance's check comes first; the answer
/// is stored for the others, who follow it without asking. With a storage that has no locks
/// (one process), the CA is asked directly.
///
/// The stored answer names the certificate it is about (its ARI identifier, RFC 9773 §4.1),
/// so an answer about a certificate since replaced is never followed, and carries the instant
/// the asking instance chose in the window, so that every instance plans the same renewal.
struct SharedRenewalInfo: Codable, Sendable, Hashable {
    /// The ARI identifier of the certificate the answer is about.
    var certificate: String
    var windowStart: Date
    var windowEnd: Date
    var explanationURL: String?
    /// The instant chosen in the window by the instance that asked.
    var renewAt: Date
    /// When the CA may be asked again.
    var nextCheck: Date

    var info: ACMERenewalInfo {
        ACMERenewalInfo(suggestedWindow: .init(start: windowStart, end: windowEnd), explanationURL: explanationURL)
    }

    /// The storage name of the answer about the certificate of `name`.
    static func storageName(for name: String) -> String { "renewal-info+" + CertificateRecord.storageName(for: name) }
    /// The lock an instance holds while it asks the CA about the certificate of `name`.
    static func lockName(for name: String) -> String { "renewal-info-lock+" + CertificateRecord.storageName(for: name) }
    /// The lease of that lock: longer than one request to the CA with its retries.
    static let lockLease: Duration = .seconds(60)
    /// How soon an instance that found the lock taken looks at storage again.
    static let busyRecheck: ClosedRange<TimeInterval> = 3...7
}

extension Manager {
    /// What a renewal-information check found.
    enum RenewalInfoLookup: Sendable {
        /// An answer (asked here, or stored by another instance), when to check again, and the
        /// instant to renew chosen in its window (here, or by the instance that asked).
        case answer(ACMERenewalInfo, nextCheck: Date, renewAt: Date)
        /// The CA has no renewal information for this certificate.
        case none
        /// Another instance is asking the CA now: look at storage again at `recheck`.
        case busy(recheck: Date)
    }

    /// The CA's renewal information about `leaf`, served for `name`: from storage when another
    /// instance asked within its check period, else asked of the CA under the name's
    /// renewal-information lock and stored for the others before the lock is released.
    func lookUpRenewalInfo(_ name: String, leaf: [UInt8]) async throws -> RenewalInfoLookup {
        guard let locking = storage as? any LockingStorage, let identifier = try? ACMECertificateIdentifier.make(certificateDER: leaf) else {
            return try await askRenewalInfo(name, leaf: leaf)
        }
        if let stored = await storedRenewalInfo(name, identifier: identifier) { return stored }
        guard let lock = try await locking.tryLock(SharedRenewalInfo.lockName(for: name), lease: SharedRenewalInfo.lockLease) else {
            let bounds = SharedRenewalInfo.busyRecheck
            return .busy(recheck: clock.now.addingTimeInterval(bounds.lowerBound + (bounds.upperBound - bounds.lowerBound) * configuration.randomUnit()))
        }
        do {
            // Holding the lock, look again: the previous holder may have just stored its answer.
            if let stored = await storedRenewalInfo(name, identifier: identifier) {
                try? await locking.unlock(lock)
                return stored
            }
            let lookup = try await askRenewalInfo(name, leaf: leaf)
            if case .answer(let info, let nextCheck, let renewAt) = lookup, info.suggestedWindow.isWellFormed {
                await shareRenewalInfo(name, SharedRenewalInfo(
                    certificate: identifier, windowStart: info.suggestedWindow.start, windowEnd: info.suggestedWindow.end,
                    explanationURL: info.explanationURL, renewAt: renewAt, nextCheck: nextCheck))
            }
            try? await locking.unlock(lock)
            return lookup
        } catch {
            try? await locking.unlock(lock)
            throw error
        }
    }

    /// Asks the CA (RFC 9773 §4.2) and chooses the instant to renew in the window answered.
    private func askRenewalInfo(_ name: String, leaf: [UInt8]) async throws -> RenewalInfoLookup {
        guard let answer = try await authority.renewalInfo(forCertificate: leaf) else { return .none }
        let now = clock.now
        let previous = schedule.withLock { schedule -> (window: ACMERenewalInfo.Window, renewAt: Date)? in
            guard let state = schedule.renewalInfo[name], let window = state.window, let renewAt = state.renewAt else { return nil }
            return (window, renewAt)
        }
        let renewAt = RenewalInfoPolicy.renewalTime(window: answer.suggestedWindow, previous: previous, now: now, unit: configuration.randomUnit())
        return .answer(answer, nextCheck: RenewalInfoPolicy.nextCheck(after: now, retryAfter: answer.retryAfter), renewAt: renewAt)
    }

    /// Stores the answer for the other instances (best effort: without it they ask the CA
    /// themselves).
    private func shareRenewalInfo(_ name: String, _ shared: SharedRenewalInfo) async {
        do {
            try await storage.put(SharedRenewalInfo.storageName(for: name), Array(try JSONEncoder().encode(shared)))
        } catch {
            logger.debug("could not store the renewal information for the other instances; they ask the CA themselves",
                         metadata: ["name": "\(name)", "error": "\(error)"])
        }
    }

    /// The stored answer about this very certificate while it is within its check period.
    private func storedRenewalInfo(_ name: String, identifier: String) async -> RenewalInfoLookup? {
        guard let bytes = try? await storage.get(SharedRenewalInfo.storageName(for: name)),
              let stored = try? JSONDecoder().decode(SharedRenewalInfo.self, from: Data(bytes)),
              stored.certificate == identifier, stored.nextCheck > clock.now else { return nil }
        let renewAt = stored.renewAt <= clock.now ? clock.now : stored.renewAt
        return .answer(stored.info, nextCheck: stored.nextCheck, renewAt: renewAt)
    }
}
