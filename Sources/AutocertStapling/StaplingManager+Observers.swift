import Foundation
import Synchronization

extension StaplingManager {
    /// The functions told when a served staple changes (``addStapleObserver(_:)``).
    final class StapleObservers: Sendable {
        private let observers = Mutex<[@Sendable (StapleID) -> Void]>([])

        func add(_ observer: @escaping @Sendable (StapleID) -> Void) {
            observers.withLock { $0.append(observer) }
        }

        func notify(_ id: StapleID) {
            for observer in observers.withLock({ $0 }) { observer(id) }
        }
    }

    /// Calls `observer` each time the staple served for a certificate changes: a new one is
    /// served (fetched or restored), or it stops being served (expired, not stapled, removed).
    ///
    /// For a layer that keeps its own copy of the staple next to the certificate (so that its
    /// handshake path makes one lookup, not two): on each call, read the truth again with
    /// ``currentStaple(for:)``. Calls come from the manager's tasks, outside its locks, in
    /// no guaranteed order, and may repeat; an observer must be quick and must not block.
    public func addStapleObserver(_ observer: @escaping @Sendable (StapleID) -> Void) {
        observers.add(observer)
    }

    /// The staple served now for `id` and the instant it stops being served (its nextUpdate,
    /// clamped to the certificate's expiry), or nil; the same rules as ``staple(for:)``.
    public func currentStaple(for id: StapleID) -> (der: [UInt8], until: Date)? {
        guard let staple = served.get(id), clock.handshakeNow < staple.until else { return nil }
        return (staple.der, staple.until)
    }
}
