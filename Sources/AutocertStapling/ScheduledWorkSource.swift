import Foundation
import Synchronization

/// Work of another layer that runs on the stapler's scheduler, so that one loop (one
/// clock, one wake-up) drives both: the autocert Manager's renewals ride here when it
/// staples, as Go autocert's `domainRenewal` times certificate and staple together.
///
/// The stapler's loop asks every attached source, each time it wakes, for the work due now
/// (run as child tasks of ``StaplingManager/run()``, cancelled on shutdown) and for the next
/// instant it must wake for it; a source that plans something earlier than that calls
/// ``StaplingManager/wakeScheduler()``. Both calls are made often: keep them cheap, and
/// never block or suspend in them.
package protocol ScheduledWorkSource: Sendable {
    /// The work due at `now`, each item marked as taken (so it is not handed out twice).
    func takeDueWork(now: Date) -> [@Sendable () async -> Void]
    /// The earliest instant at which work will be due, or nil for none planned.
    func nextDueDate() -> Date?
}

extension StaplingManager {
    /// The sources attached with ``attach(_:)``.
    final class WorkSources: Sendable {
        private let sources = Mutex<[any ScheduledWorkSource]>([])

        func add(_ source: any ScheduledWorkSource) { sources.withLock { $0.append(source) } }

        var all: [any ScheduledWorkSource] { sources.withLock { $0 } }
    }

    /// Runs `source`'s work on this manager's scheduler (see ``ScheduledWorkSource``).
    package func attach(_ source: any ScheduledWorkSource) {
        workSources.add(source)
        wake.signal()
    }

    /// Wakes the scheduler to look at its work again (an attached source planned something).
    package func wakeScheduler() {
        wake.signal()
    }
}
