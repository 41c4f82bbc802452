import AutocertStorage
import PostgresNIO
import ServiceLifecycle

extension PostgresStorage {
    /// Runs the connection pool and the connection that listens for changes, until the task is
    /// cancelled or a graceful shutdown begins; then every ``changes()`` stream ends and later
    /// operations fail with ``StorageError/Code/unavailable``. Call it once.
    public func run() async throws {
        let first = state.withLock { state in
            defer { state.started = true }
            return !state.started
        }
        guard first else {
            throw StorageError(.unavailable, "PostgresStorage.run() for \(location) was called twice; run each storage once")
        }
        let client = client
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            group.addTask { await cancelWhenGracefulShutdown { await self.listenForChanges() } }
            // The pool ends on cancellation or graceful shutdown, and so does the listener: wait for both.
            await group.waitForAll()
        }
        broadcast.finish()
    }
}
