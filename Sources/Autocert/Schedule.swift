import AutocertStapling
import Foundation

/// The renewal side of the ``Manager``: one plan per served name in a min-heap by due time,
/// the CA's renewal information per name with its checks (ARI, `Schedule+RenewalInfo.swift`),
/// and the backoff of new names whose issuance failed.
///
/// The heap keeps the loop's work O(log n) per change, so 100,000 names loaded in a burst
/// after a restart do not turn into a scan of every plan at each load.
struct Schedule: Sendable {
    /// What to do next for one served name, and when.
    struct Plan: Sendable {
        /// When to renew (or retry, or replace a revoked certificate).
        var due: Date
        /// Failures in a row of this renewal.
        var failureStreak = 0
        /// Whether the replacement needs a new key (revoked for keyCompromise).
        var newKey = false
        /// Whether this replaces a revoked (or unusable) certificate; such a plan is not
        /// planned again by a later report of the same revocation.
        var replacing = false
        /// Whether a renewal is running now.
        var inFlight = false
        /// Which heap item is current; older items for the name are stale.
        var generation: UInt64 = 0
    }

    struct Item: Sendable, Comparable {
        let due: Date
        let name: String
        let generation: UInt64

        static func < (lhs: Item, rhs: Item) -> Bool { lhs.due < rhs.due }
        static func == (lhs: Item, rhs: Item) -> Bool { lhs.due == rhs.due && lhs.generation == rhs.generation }
    }

    private(set) var plans: [String: Plan] = [:]
    private var heap = MinHeap<Item>()
    var generation: UInt64 = 0
    /// The CA's renewal information per served name (ARI), and the checks planned.
    var renewalInfo: [String: RenewalInfo] = [:]
    var renewalInfoChecks = MinHeap<Item>()
    /// New names whose issuance failed: failures in a row, and when the next attempt may run.
    var failures: [String: (streak: Int, until: Date)] = [:]
    /// When the next revocation sweep is due (set at the scheduler's first look).
    private(set) var nextSweep: Date?

    /// Whether the revocation sweep is due at `now`; if so, plans the next one `interval` later.
    mutating func sweepIsDue(now: Date, interval: TimeInterval) -> Bool {
        guard let next = nextSweep else {
            nextSweep = now.addingTimeInterval(interval)
            return false
        }
        guard now >= next else { return false }
        nextSweep = now.addingTimeInterval(interval)
        return true
    }

    /// Sets the plan of `name` (replacing any), not running.
    mutating func set(_ name: String, _ plan: Plan) {
        generation &+= 1
        var plan = plan
        plan.inFlight = false
        plan.generation = generation
        plans[name] = plan
        heap.insert(Item(due: plan.due, name: name, generation: generation))
    }

    /// Forgets the plan of `name` and its renewal information.
    mutating func remove(_ name: String) {
        plans[name] = nil
        renewalInfo[name] = nil
    }

    /// Takes every plan due at `now`, and marks them running.
    mutating func takeDue(now: Date) -> [(String, Plan)] {
        var due: [(String, Plan)] = []
        while let top = heap.min, top.due <= now {
            heap.popMin()
            guard let plan = plans[top.name], plan.generation == top.generation, !plan.inFlight else { continue }
            plans[top.name]!.inFlight = true
            due.append((top.name, plan))
        }
        return due
    }

    /// The earliest due time of a current plan that is not running.
    mutating func nextDue() -> Date? {
        while let top = heap.min {
            if let plan = plans[top.name], plan.generation == top.generation, !plan.inFlight { return top.due }
            heap.popMin()
        }
        return nil
    }
}
