import Foundation

/// A store held in memory only: for tests, and for processes that need no persistence.
///
/// Its locks are leases like a database's (``LockingStorage``), on this process's clock, with
/// tokens that only grow; it reports every change (``ObservableStorage``).
public final class MemoryStorage: LockingStorage, ObservableStorage {
    private struct State {
        var blobs: [String: [UInt8]]
        var locks: [String: StorageLock] = [:]
        var lastToken: UInt64 = 0
        var operations = 0
    }

    private let state: Locked<State>
    private let broadcast = EventBroadcast<String>()

    public init(_ initial: [String: [UInt8]] = [:]) {
        state = Locked(State(blobs: initial))
    }

    public func get(_ name: String) async throws(StorageError) -> [UInt8]? {
        state.withLock { state in
            state.operations += 1
            return state.blobs[name]
        }
    }

    public func put(_ name: String, _ bytes: [UInt8]) async throws(StorageError) {
        state.withLock { state in
            state.operations += 1
            state.blobs[name] = bytes
        }
        broadcast.publish(name)
    }

    public func delete(_ name: String) async throws(StorageError) {
        state.withLock { state in
            state.operations += 1
            state.blobs[name] = nil
        }
        broadcast.publish(name)
    }

    public func list(prefix: String) async throws(StorageError) -> [String] {
        state.withLock { state in
            state.operations += 1
            return state.blobs.keys.filter { $0.hasPrefix(prefix) }
        }
    }

    /// Every name stored now, sorted (for tests and inspection).
    public var names: [String] { state.withLock { $0.blobs.keys.sorted() } }

    /// How many operations (reads, writes, deletes, lists, lock operations) were asked of this
    /// store so far: what a database would count as statements (for tests and inspection).
    public var operationCount: Int { state.withLock { $0.operations } }

    // MARK: LockingStorage

    public func tryLock(_ name: String, lease: Duration) async throws(StorageError) -> StorageLock? {
        let now = Date()
        return state.withLock { state -> StorageLock? in
            state.operations += 1
            if let held = state.locks[name], let expires = held.expiresAt, expires > now { return nil }
            state.lastToken += 1
            let lock = StorageLock(name: name, token: state.lastToken, expiresAt: now.addingTimeInterval(lease.seconds))
            state.locks[name] = lock
            return lock
        }
    }

    public func renew(_ lock: StorageLock, lease: Duration) async throws(StorageError) -> Bool {
        let now = Date()
        return state.withLock { state -> Bool in
            state.operations += 1
            guard let held = state.locks[lock.name], held.token == lock.token, (held.expiresAt ?? .distantFuture) > now else { return false }
            state.locks[lock.name] = StorageLock(name: lock.name, token: lock.token, expiresAt: now.addingTimeInterval(lease.seconds))
            return true
        }
    }

    public func unlock(_ lock: StorageLock) async throws(StorageError) {
        state.withLock { state in
            state.operations += 1
            if state.locks[lock.name]?.token == lock.token { state.locks[lock.name] = nil }
        }
    }

    public func put(_ name: String, _ bytes: [UInt8], fencedBy lock: StorageLock) async throws(StorageError) {
        let stored = state.withLock { state -> Bool in
            state.operations += 1
            // Still the name's lock: held, or its lease ended with no one taking it over. A lock
            // released (after which another holder may have come and gone) fences nothing.
            guard state.locks[lock.name]?.token == lock.token else { return false }
            state.blobs[name] = bytes
            return true
        }
        guard stored else {
            throw StorageError(.lockLost, "the lock '\(lock.name)' (token \(lock.token)) was taken by another holder or released; '\(name)' was not stored")
        }
        broadcast.publish(name)
    }

    // MARK: ObservableStorage

    public func changes() -> AsyncStream<String> {
        broadcast.subscribe(bufferingNewest: 1024)
    }
}
