import AutocertStorage
import Foundation

/// Orders in a cluster: when the storage is a ``AutocertStorage/LockingStorage`` shared by
/// several instances, one order per name runs at a time across all of them.
///
/// An instance that would order (a new name, or a due renewal) takes the name's order lock,
/// waiting for it up to ``orderLockWait``; holding it, it looks in storage again, since the
/// previous holder may have just stored the certificate, which is then served instead of
/// ordering. The record is written fenced by the lock, so a holder that lost its lock (its
/// store unreachable for a whole lease) cannot overwrite the next holder's certificate. A
/// holder that dies stops renewing its lease; the next waiter takes the lock when the lease
/// (``Manager/Configuration/orderLockLease``) ends, and orders with the key the dead holder
/// stored first (``pendingKey(for:)``).
extension Manager {
    /// How long an instance waits for another's order of the same name. 10 minutes: longer
    /// than an ACME order may poll (5 minutes).
    static let orderLockWait: Duration = .seconds(600)

    /// How an order under the lock ended: a certificate issued here, or one another instance
    /// stored meanwhile.
    enum Obtained: Sendable {
        case issued(CertificateRecord)
        case stored(CertificateRecord)
    }

    /// The name of the lock on ordering `name`.
    static func orderLockName(_ name: String) -> String { "order-lock+" + CertificateRecord.storageName(for: name) }

    /// Runs `work` holding the order lock of `name` when the storage has locks, else at once
    /// (with no lock: one process orders its own names, its single flight suffices).
    func underOrderLock(_ name: String, _ work: @escaping @Sendable (StorageLock?) async throws -> Obtained) async throws(AutocertError) -> Obtained {
        do {
            guard let locking = storage as? any LockingStorage else { return try await work(nil) }
            return try await locking.withLock(Self.orderLockName(name), lease: configuration.orderLockLease, waitingUpTo: Self.orderLockWait) { lock in
                try await work(lock)
            }
        } catch let error as AutocertError {
            throw error
        } catch let error as StorageError where error.code == .lockBusy {
            throw AutocertError(.issuanceFailed, "another instance has been ordering \(name) for \(Self.orderLockWait) and still holds its order lock; the next attempt waits for its backoff", underlying: error)
        } catch let error as StorageError {
            throw AutocertError(.storageFailed, "the order lock of \(name) could not be used: \(error.reason)", underlying: error)
        } catch {
            throw AutocertError(.issuanceFailed, "ordering \(name) failed", underlying: error)
        }
    }

    /// A stored certificate for `name` newer than the one served (`current`): another
    /// instance renewed or replaced it.
    func newerStoredRecord(_ name: String, than current: ServedCertificate) async -> CertificateRecord? {
        guard let stored = await loadRecord(name, reportsInvalid: false), stored.chain[0] != current.key.certificateChain[0],
              stored.notAfter.timeIntervalSinceReferenceDate >= current.notAfter else { return nil }
        return stored
    }

    /// Stores `bytes` under `name`, fenced by `lock` when there is one.
    func store(_ name: String, _ bytes: [UInt8], fencedBy lock: StorageLock?) async throws(StorageError) {
        if let lock, let locking = storage as? any LockingStorage {
            try await locking.put(name, bytes, fencedBy: lock)
        } else {
            try await storage.put(name, bytes)
        }
    }
}
