import Foundation
import Synchronization
import X509

extension StaplingManager {
    /// The scheduler's state: every certificate, the queue, and the fetches in flight.
    struct Core {
        var entries: [StapleID: StapleEntry] = [:]
        var queue = MinHeap<ScheduledItem>()
        var order: UInt64 = 0
        var inFlight = 0
        var nextSweep = -Double.infinity
        var waiters: [UInt64: Waiter] = [:]
        var nextWaiterToken: UInt64 = 0
        /// One shared copy of each issuer and responder URL (100,000 leaves, a handful of each).
        var issuers: [StapleID: Box<[UInt8]>] = [:]
        var urls: [String: String] = [:]
        /// Whether the loop is waiting (for tests: a waiting loop with nothing due is idle).
        var loopWaiting = false

        /// Plans the next fetch of `id` at `date`, replacing any earlier plan.
        mutating func schedule(_ id: StapleID, at date: Date, kind: ScheduledItem.Kind) {
            guard var entry = entries[id] else { return }
            let generation: UInt32
            switch kind {
            case .fetch:
                entry.scheduleGeneration &+= 1
                entry.nextAttempt = date
                entry.planDueDuringFetch = false
                generation = entry.scheduleGeneration
            case .expire:
                generation = entry.stapleGeneration
            }
            entries[id] = entry
            order &+= 1
            queue.insert(ScheduledItem(due: date.timeIntervalSinceReferenceDate, order: order, id: id, kind: kind, generation: generation))
        }

        /// Serves a new staple for `id` until `until` and plans its removal then.
        mutating func install(_ id: StapleID, der: [UInt8], thisUpdate: Date, until: Date, served: ServedStaples) {
            guard entries[id] != nil else { return }
            entries[id]!.stapleGeneration &+= 1
            entries[id]!.thisUpdate = thisUpdate
            entries[id]!.servedUntil = until
            entries[id]!.warnedExpiring = false
            served.set(id, ServedStaple(der: der, until: until))
            schedule(id, at: until, kind: .expire)
        }
    }

    /// What the scheduler must do now.
    enum DueWork {
        case fetch(StapleID)
        case expire(StapleID, at: Date)
    }
}
