import AutocertStapling
import Foundation

/// The renewal side of the ``Manager``: one plan per served name in a min-heap by due time,
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

    private struct Item: Sendable {
        let due: Date
        let name: String
        let generation: UInt64
    }

    private(set) var plans: [String: Plan] = [:]
    private var heap: [Item] = []
    private var generation: UInt64 = 0
    /// Which name each stapled certificate is served for (stapler events name certificates).
    var names: [StapleID: String] = [:]
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
        push(Item(due: plan.due, name: name, generation: generation))
    }

    /// Forgets the plan of `name`.
    mutating func remove(_ name: String) {
        plans[name] = nil
    }

    /// Takes every plan due at `now`, and marks them running.
    mutating func takeDue(now: Date) -> [(String, Plan)] {
        var due: [(String, Plan)] = []
        while let top = heap.first, top.due <= now {
            popMin()
            guard let plan = plans[top.name], plan.generation == top.generation, !plan.inFlight else { continue }
            plans[top.name]!.inFlight = true
            due.append((top.name, plan))
        }
        return due
    }

    /// The earliest due time of a current plan that is not running.
    mutating func nextDue() -> Date? {
        while let top = heap.first {
            if let plan = plans[top.name], plan.generation == top.generation, !plan.inFlight { return top.due }
            popMin()
        }
        return nil
    }

    private mutating func push(_ item: Item) {
        heap.append(item)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].due < heap[parent].due else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func popMin() {
        heap.swapAt(0, heap.count - 1)
        heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count, heap[left].due < heap[smallest].due { smallest = left }
            if right < heap.count, heap[right].due < heap[smallest].due { smallest = right }
            guard smallest != parent else { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
