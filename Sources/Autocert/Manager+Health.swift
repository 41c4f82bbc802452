import AutocertStapling
import Foundation

/// A health summary of what a ``Manager`` serves, for a health endpoint or a status page:
/// healthy when every certificate served is within its validity and goes out with a valid
/// staple, or needs none (no OCSP URL, or ``Manager/Configuration/stapleOCSP`` off).
public struct ManagerHealth: Sendable, Hashable {
    /// One name served without what it needs, or served with a warning.
    public struct Problem: Sendable, Hashable, CustomStringConvertible {
        /// The name (or IP address) served.
        public var name: String
        /// What is wrong and what to do.
        public var reason: String
        public var description: String { "\(name): \(reason)" }
    }

    /// Names with a certificate in service.
    public var served: Int
    /// Names whose certificate goes out with a staple now.
    public var stapled: Int
    /// Names whose certificate needs no staple.
    public var withoutOCSP: Int
    /// Names served without a valid staple they need, or with an expired certificate.
    public var problems: [Problem]
    /// Names served correctly for now whose staple refreshes fail (the last good staple is
    /// still served until its end): worth a look, not yet a failure.
    public var warnings: [Problem]

    /// Since when storage has refused reads or writes, if it does now: certificates are still
    /// served from memory, but a restart or another instance would not see what was not saved.
    public var storageFailingSince: Date?
    /// Names whose certificate is served but not yet saved to storage (retried every 30 s).
    public var unsaved: [String]

    /// Whether every certificate served is valid and stapled, or needs no staple, and storage
    /// keeps everything served.
    public var isHealthy: Bool { problems.isEmpty && storageFailingSince == nil && unsaved.isEmpty }
}

extension Manager {
    /// The health of every certificate served now, from the served map and the stapler's
    /// ``AutocertStapling/StaplingManager/health()`` (one locked read of each).
    public func health() -> ManagerHealth {
        let entries = served.withLock { Array($0) }
        let now = clock.now.timeIntervalSinceReferenceDate
        var staplingProblems: [StapleID: StapleInfo] = [:]
        if let stapler {
            for problem in stapler.health().problems { staplingProblems[problem.id] = problem.info }
        }
        var health = ManagerHealth(served: entries.count, stapled: 0, withoutOCSP: 0, problems: [], warnings: [],
                                   storageFailingSince: storageFailingSince.withLock { $0 },
                                   unsaved: unsaved.withLock { $0.keys.sorted() })
        for (name, entry) in entries.sorted(by: { $0.key < $1.key }) {
            if entry.notAfter <= now {
                health.problems.append(.init(name: name, reason: "the certificate has expired and is no longer served; see the Manager's failed events"))
                continue
            }
            guard let id = entry.stapleID else { health.withoutOCSP += 1; continue }
            guard let info = staplingProblems[id] else { health.stapled += 1; continue }
            switch info.condition {
            case .stapled:  // still served; its refreshes fail
                health.stapled += 1
                health.warnings.append(.init(name: name, reason: info.summary))
            case .noResponderURL:
                health.withoutOCSP += 1
            default:
                health.problems.append(.init(name: name, reason: info.summary))
            }
        }
        return health
    }
}
