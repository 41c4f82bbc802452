import AutocertStorage
import Foundation
import PostgresNIO

/// Locks: one row of `autocert_locks` per name held, a lease whose end is in the database's
/// clock (`now()`), and a fencing token from the sequence `autocert_lock_tokens`, so tokens grow
/// across the whole cluster.
///
/// A holder that dies, or whose connection drops, stops renewing: its lock is free once its
/// lease ends, whatever the clocks of the instances say.
extension PostgresStorage {
    public func tryLock(_ name: String, lease: Duration) async throws(StorageError) -> StorageLock? {
        try Self.check(name, kind: "lock")
        let logger = logger, holder = holder, seconds = lease.seconds
        return try await perform("take the lock '\(name)'") { connection in
            // Inserts the lock, or takes over an expired one; a lock held by another holder is
            // left alone and no row comes back. (A token is drawn either way; gaps are harmless.)
            let rows = try await connection.query("""
                INSERT INTO autocert_locks (name, token, expires_at, holder)
                VALUES (\(name), nextval('autocert_lock_tokens'), now() + make_interval(secs => \(seconds)), \(holder))
                ON CONFLICT (name) DO UPDATE
                    SET token = EXCLUDED.token, expires_at = EXCLUDED.expires_at, holder = EXCLUDED.holder
                    WHERE autocert_locks.expires_at <= now()
                RETURNING token, expires_at
                """, logger: logger)
            for try await (token, expiresAt) in rows.decode((Int64, Date).self) {
                return StorageLock(name: name, token: UInt64(token), expiresAt: expiresAt)
            }
            return nil
        }
    }

    public func renew(_ lock: StorageLock, lease: Duration) async throws(StorageError) -> Bool {
        let logger = logger, seconds = lease.seconds, token = Int64(lock.token)
        return try await perform("renew the lock '\(lock.name)'") { connection in
            let rows = try await connection.query("""
                UPDATE autocert_locks SET expires_at = now() + make_interval(secs => \(seconds))
                WHERE name = \(lock.name) AND token = \(token) AND expires_at > now()
                RETURNING token
                """, logger: logger)
            for try await _ in rows.decode(Int64.self) { return true }
            return false
        }
    }

    public func unlock(_ lock: StorageLock) async throws(StorageError) {
        let logger = logger, token = Int64(lock.token)
        try await perform("release the lock '\(lock.name)'") { connection in
            _ = try await connection.query("DELETE FROM autocert_locks WHERE name = \(lock.name) AND token = \(token)", logger: logger)
        }
    }

    /// Stores `bytes` under `name` only while the lock row of `lock.name` still has `lock`'s token.
    ///
    /// One statement: it share-locks the lock row before writing, so a holder taking the lock
    /// over at the same moment waits until the write is committed, and a write after a takeover
    /// finds another token and stores nothing. A lease that ended without anyone taking the lock
    /// over still lets its holder write (no one else can have written under the lock).
    public func put(_ name: String, _ bytes: [UInt8], fencedBy lock: StorageLock) async throws(StorageError) {
        try Self.check(name)
        try checkSize(name, bytes)
        let logger = logger, value = ByteBuffer(bytes: bytes), token = Int64(lock.token)
        let stored = try await perform("store '\(name)' under the lock '\(lock.name)'") { connection in
            let rows = try await connection.query("""
                WITH held AS (
                    SELECT 1 FROM autocert_locks WHERE name = \(lock.name) AND token = \(token) FOR SHARE
                )
                INSERT INTO autocert_blobs (name, value, updated_at)
                SELECT \(name), \(value), now() FROM held
                ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at
                RETURNING 1
                """, logger: logger)
            for try await _ in rows.decode(Int.self) { return true }
            return false
        }
        guard stored else {
            throw StorageError(.lockLost, "the lock '\(lock.name)' (token \(lock.token)) was taken by another holder or released; '\(name)' was not stored")
        }
    }
}
