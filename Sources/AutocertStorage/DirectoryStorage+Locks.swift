import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// DirectoryStorage's locks: one file per lock name under `.locks/`, locked with flock(2).
///
/// A lock is held until it is released or its holder's process ends (the kernel drops the
/// lock with the file descriptor, so a process killed with SIGKILL frees it at once); the
/// lease is not used (``StorageLock/expiresAt`` is nil) and renewal always succeeds while the
/// lock is held. The fencing token is a counter in the lock file, read and increased under
/// the lock. Locks exclude each other between processes on one machine and between tasks of
/// one process alike (each `tryLock` opens its own file description).
extension DirectoryStorage: LockingStorage {
    public func tryLock(_ name: String, lease: Duration) async throws(StorageError) -> StorageLock? {
        guard Self.isValid(name) else {
            throw StorageError(.invalidName, "'\(name)' is not a lock name (1–200 of A–Z a–z 0–9 . - _ +, not starting with '.')")
        }
        let directory = path + "/.locks"
        if mkdir(directory, 0o700) != 0, errno != EEXIST { throw lockError("create '\(directory)'") }
        let file = directory + "/" + name
        let fd = open(file, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw lockError("open the lock file '\(file)'") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let busy = errno == EWOULDBLOCK
            close(fd)
            if busy { return nil }
            throw lockError("lock '\(file)'")
        }
        // The fencing token: the counter in the file, plus one, written back before use.
        var counter = [UInt8](repeating: 0, count: 32)
        let count = pread(fd, &counter, counter.count, 0)
        let previous = count > 0 ? UInt64(String(decoding: counter.prefix(count), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0 : 0
        let token = previous + 1
        let text = Array("\(token)\n".utf8)
        guard ftruncate(fd, 0) == 0, pwrite(fd, text, text.count, 0) == text.count, fsync(fd) == 0 else {
            let error = lockError("write the token to '\(file)'")
            close(fd)
            throw error
        }
        let lock = StorageLock(name: name, token: token, expiresAt: nil)
        heldLocks.withLock { $0[lock] = fd }
        return lock
    }

    public func renew(_ lock: StorageLock, lease: Duration) async throws(StorageError) -> Bool {
        heldLocks.withLock { $0[lock] != nil }
    }

    public func unlock(_ lock: StorageLock) async throws(StorageError) {
        guard let fd = heldLocks.withLock({ $0.removeValue(forKey: lock) }) else { return }
        flock(fd, LOCK_UN)
        close(fd)
    }

    public func put(_ name: String, _ bytes: [UInt8], fencedBy lock: StorageLock) async throws(StorageError) {
        guard heldLocks.withLock({ $0[lock] != nil }) else {
            throw StorageError(.lockLost, "the lock '\(lock.name)' (token \(lock.token)) is not held by this process; '\(name)' was not stored")
        }
        try await put(name, bytes)
    }

    private func lockError(_ what: String) -> StorageError {
        let code = errno
        return StorageError(.ioFailed, "could not \(what): \(String(cString: strerror(code))) (errno \(code)); check the storage directory's permissions")
    }
}

/// The locks a DirectoryStorage (and its copies) holds now, with their open lock files.
final class HeldLocks: Sendable {
    private let locks = Mutex<[StorageLock: Int32]>([:])

    func withLock<Result>(_ body: (inout [StorageLock: Int32]) -> Result) -> Result {
        locks.withLock { body(&$0) }
    }
}
