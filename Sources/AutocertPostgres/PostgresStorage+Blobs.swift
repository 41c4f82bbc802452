import AutocertStorage
import PostgresNIO

/// The blobs: one row of `autocert_blobs` per name; a write is one statement, so readers see
/// the old value or the new one.
extension PostgresStorage {
    public func get(_ name: String) async throws(StorageError) -> [UInt8]? {
        try Self.check(name)
        let logger = logger
        return try await perform("read '\(name)'") { connection in
            let rows = try await connection.query("SELECT value FROM autocert_blobs WHERE name = \(name)", logger: logger)
            for try await value in rows.decode(ByteBuffer.self) {
                return Array(value.readableBytesView)
            }
            return nil
        }
    }

    public func put(_ name: String, _ bytes: [UInt8]) async throws(StorageError) {
        try Self.check(name)
        try checkSize(name, bytes)
        let logger = logger, value = ByteBuffer(bytes: bytes)
        try await perform("store '\(name)'") { connection in
            _ = try await connection.query("""
                INSERT INTO autocert_blobs (name, value, updated_at) VALUES (\(name), \(value), now())
                ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at
                """, logger: logger)
        }
    }

    public func delete(_ name: String) async throws(StorageError) {
        try Self.check(name)
        let logger = logger
        try await perform("delete '\(name)'") { connection in
            _ = try await connection.query("DELETE FROM autocert_blobs WHERE name = \(name)", logger: logger)
        }
    }

    public func list(prefix: String) async throws(StorageError) -> [String] {
        let logger = logger
        return try await perform("list the names starting with '\(prefix)'") { connection in
            // starts_with, not LIKE: a prefix holding '_' or '%' means those characters.
            let rows = try await connection.query("SELECT name FROM autocert_blobs WHERE starts_with(name, \(prefix))", logger: logger)
            var names: [String] = []
            for try await name in rows.decode(String.self) { names.append(name) }
            return names
        }
    }

    /// Refuses `name` unless every store of this package can keep it.
    static func check(_ name: String, kind: String = "blob") throws(StorageError) {
        guard StorageName.isValid(name) else { throw StorageName.invalid(name, kind: kind) }
    }

    /// Refuses a value larger than ``maximumBlobBytes``.
    func checkSize(_ name: String, _ bytes: [UInt8]) throws(StorageError) {
        guard bytes.count <= maximumBlobBytes else {
            throw StorageError(.tooLarge, "the value for '\(name)' is \(bytes.count) bytes, more than the \(maximumBlobBytes) this storage accepts; raise maximumBlobBytes if it is meant to be stored")
        }
    }
}
