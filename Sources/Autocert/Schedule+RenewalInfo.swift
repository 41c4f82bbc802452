import AutocertACME
import Foundation

extension Schedule {
    /// What the CA's renewal information (ARI, RFC 9773) said of one served certificate.
    struct RenewalInfo: Sendable {
        /// The last well-formed window, and the instant chosen in it.
        var window: ACMERenewalInfo.Window?
        var renewAt: Date?
        /// Failed checks in a row (unreachable, malformed): they back off.
        var failureStreak = 0
        /// When the next check is due; nil while one runs.
        var nextCheck: Date?
        /// Which heap item is current; older items for the name are stale.
        var generation: UInt64 = 0
    }

    /// Plans the next ARI check of `name` at `date` (keeping what was learnt so far).
    mutating func planRenewalInfoCheck(_ name: String, at date: Date) {
        generation &+= 1
        var state = renewalInfo[name] ?? RenewalInfo()
        state.nextCheck = date
        state.generation = generation
        renewalInfo[name] = state
        renewalInfoChecks.insert(Item(due: date, name: name, generation: generation))
    }

    /// Forgets the ARI state of `name` (its certificate was replaced or dropped).
    mutating func forgetRenewalInfo(_ name: String) {
        renewalInfo[name] = nil
    }

    /// The names whose ARI check is due at `now` (each marked as running).
    mutating func takeDueRenewalInfoChecks(now: Date) -> [String] {
        var due: [String] = []
        while let top = renewalInfoChecks.min, top.due <= now {
            renewalInfoChecks.popMin()
            guard let state = renewalInfo[top.name], state.generation == top.generation, state.nextCheck != nil else { continue }
            renewalInfo[top.name]!.nextCheck = nil
            due.append(top.name)
        }
        return due
    }

    /// The earliest ARI check planned.
    mutating func nextRenewalInfoCheck() -> Date? {
        while let top = renewalInfoChecks.min {
            if let state = renewalInfo[top.name], state.generation == top.generation, state.nextCheck != nil { return top.due }
            renewalInfoChecks.popMin()
        }
        return nil
    }
}
