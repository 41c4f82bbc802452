import Foundation

/// A lock on a name, held through a ``LockingStorage``.
public struct StorageLock: Sendable, Hashable {
    /// The name locked (locks have names of their own, beside the blobs).
    public let name: String
    /// The fencing token: greater than every token handed out for this name before, in every
    /// process sharing the store. A write fenced by an older token is refused
    /// (``LockingStorage/put(_:_:fencedBy:)``), so a holder that lost its lock cannot
    /// overwrite what the next holder wrote.
    public let token: UInt64
    /// When the lease ends unless renewed; nil for a lock held until it is released or its
    /// holder's process ends (``DirectoryStorage``'s file locks).
    public let expiresAt: Date?

    public init(name: String, token: UInt64, expiresAt: Date?) {
        self.name = name
        self.token = token
        self.expiresAt = expiresAt
    }
}

/// Storage whose names can be locked by one holder at a time across processes and machines,
/// so that a cluster orders one certificate per name and fetches one staple per certificate.
///
/// The semantics (every implementation): a lock is a lease with an increasing fencing token.
/// ``tryLock(_:lease:)`` never waits; the holder renews before the lease ends
/// (``withLock(_:lease:waitingUpTo:_:)`` does it for you at a third of the lease); a holder
/// that dies or loses its connection stops renewing, and its lock is free once the lease
/// ends (for ``DirectoryStorage``, at once: the kernel drops a dead process's file lock).
public protocol LockingStorage: BlobStorage {
    /// Takes the lock on `name` if no one holds it or its holder's lease has ended; nil when
    /// another holder has it now.
    func tryLock(_ name: String, lease: Duration) async throws(StorageError) -> StorageLock?

    /// Extends the lease of `lock`; false when it was lost (its lease ended and another took it).
    func renew(_ lock: StorageLock, lease: Duration) async throws(StorageError) -> Bool

    /// Releases `lock` if it is still held; releasing a lost lock changes nothing.
    func unlock(_ lock: StorageLock) async throws(StorageError)

    /// Stores `bytes` under `name` only while `lock` is the newest lock on its name.
    ///
    /// - Throws: ``StorageError/Code/lockLost`` when another holder has taken the lock since.
    func put(_ name: String, _ bytes: [UInt8], fencedBy lock: StorageLock) async throws(StorageError)
}

/// Storage that tells of changes made to it by other processes (LISTEN/NOTIFY in a database),
/// so that what one instance stores reaches the others without waiting for a poll.
public protocol ObservableStorage: BlobStorage {
    /// The names put or deleted from now on, by anyone (this process included); best effort:
    /// a name may come more than once, and a change made while the store was unreachable may
    /// never come (readers also look again from time to time). Ends when the store is closed.
    func changes() -> AsyncStream<String>
}
