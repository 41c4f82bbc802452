import AutocertPostgres
import AutocertStorage
import Foundation
import Logging

/// What `--storage` names: a directory (``AutocertStorage/DirectoryStorage``, one machine) or
/// a PostgreSQL URL (``AutocertPostgres/PostgresStorage``, shared by the instances of a
/// cluster). The PostgreSQL password never comes from the command line, where process lists
/// and shell histories would show it: it is read from `--storage-password-file` or from the
/// environment variable ``passwordEnvironmentVariable``.
public struct OpenedStorage: Sendable {
    /// The store the Manager or stapler keeps keys, certificates and staples in.
    public let storage: any BlobStorage
    /// The PostgreSQL storage's connection pool and change listener, to run beside the
    /// servers; nil for a directory.
    public let service: PostgresStorage?

    /// The environment variable the PostgreSQL password is read from when no password file
    /// is given.
    public static let passwordEnvironmentVariable = "AUTOCERT_POSTGRES_PASSWORD"

    /// Opens `value`: a `postgres://USER@HOST:PORT/DATABASE` URL (connecting and bringing the
    /// schema up to date, so that a wrong URL or password stops the server at start), or else
    /// a directory path.
    ///
    /// - Throws: ``AutocertStorage/StorageError`` naming the URL or path and what failed; a
    ///   `ValidationError`-like ``StorageArgumentError`` for a password file that cannot be read.
    public static func open(_ value: String, passwordFile: String?, tls: PostgresTLSMode, logger: Logger) async throws -> OpenedStorage {
        guard value.hasPrefix("postgres://") || value.hasPrefix("postgresql://") else {
            if passwordFile != nil { logger.warning("--storage-password-file has no effect with a directory as --storage") }
            return OpenedStorage(storage: try DirectoryStorage(path: value, logger: logger), service: nil)
        }
        let password = try passwordFile.map(readPassword) ?? ProcessInfo.processInfo.environment[passwordEnvironmentVariable]
        let storage = try await PostgresStorage(url: value, password: password, tls: tls, logger: logger)
        logger.info("storage in PostgreSQL", metadata: ["storage": "\(storage.location)", "tls": "\(tls)"])
        return OpenedStorage(storage: storage, service: storage)
    }

    /// Runs the service of `opened` (if any) while `body` runs.
    public static func running(_ opened: OpenedStorage?, _ body: () async throws -> Void) async throws {
        guard let service = opened?.service else { return try await body() }
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await service.run() }
            defer { tasks.cancelAll() }
            try await body()
        }
    }

    /// The password in `path`, without its final line break.
    static func readPassword(_ path: String) throws(StorageArgumentError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw StorageArgumentError("cannot read the PostgreSQL password file '\(path)'; check that it exists and that this user may read it")
        }
        var password = String(decoding: data, as: UTF8.self)
        while password.hasSuffix("\n") || password.hasSuffix("\r") { password.removeLast() }
        guard !password.isEmpty else {
            throw StorageArgumentError("the PostgreSQL password file '\(path)' is empty")
        }
        return password
    }
}

/// A `--storage` argument that cannot be used.
public struct StorageArgumentError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
