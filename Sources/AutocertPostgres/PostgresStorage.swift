import AutocertStorage
import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// A store in PostgreSQL shared by a cluster: blobs, leased locks with fencing tokens, and
/// change notifications (``BlobStorage``, ``LockingStorage``, ``ObservableStorage``).
///
/// ```swift
/// let storage = try await PostgresStorage(
///     url: "postgres://autocert@db.internal:5432/autocert",
///     password: ProcessInfo.processInfo.environment["AUTOCERT_DB_PASSWORD"],
///     logger: logger)
/// let services = ServiceGroup(services: [storage, manager], logger: logger)
/// ```
///
/// `init` connects once, checks the credentials and brings the schema up to date (see
/// `docs/cluster.md`), so a wrong URL or password fails at start. The storage is then a
/// `Service`: its ``run()`` runs the connection pool and the connection that listens for
/// changes. Put it before the services that use it; an operation made before `run()` starts
/// waits for it up to the operation timeout.
///
/// Locks are leases in the database's clock (`now()`), so the instances' clocks do not matter.
/// Every operation is bounded by `operationTimeout`: when PostgreSQL is down or unreachable it
/// fails with ``StorageError/Code/unavailable``, and works again once PostgreSQL is back,
/// without a new storage.
public final class PostgresStorage: LockingStorage, ObservableStorage, Service {
    /// Where the storage connects (the URL without a password).
    public let location: PostgresLocation
    /// How long one operation may take, waiting for a connection included.
    public let operationTimeout: Duration
    /// The largest value `put` accepts.
    public let maximumBlobBytes: Int

    let client: PostgresClient
    let listenerConfiguration: PostgresConnection.Configuration
    let logger: Logger
    let broadcast = EventBroadcast<String>()
    let state = Mutex(State())
    /// Who holds a lock, written beside it for people who inspect the table.
    let holder = "\(ProcessInfo.processInfo.hostName) pid \(ProcessInfo.processInfo.processIdentifier)"

    struct State {
        /// Whether ``run()`` has started.
        var started = false
        /// Whether the listening connection is listening now.
        var listening = false
        /// Why the last connection attempt failed, while PostgreSQL is unreachable.
        var problem: String?
    }

    /// Connects to PostgreSQL at `url` and brings its schema up to date.
    ///
    /// - Parameters:
    ///   - url: `postgres://USER@HOST:PORT/DATABASE`, without a password.
    ///   - password: the user's password, read by the caller from an environment variable or a
    ///     file; nil when the server asks for none.
    ///   - tls: TLS to the server. Default ``PostgresTLSMode/requireUnlessLoopback``.
    ///   - operationTimeout: how long one operation may take before it fails with
    ///     ``StorageError/Code/unavailable``. Default 10 s.
    ///   - maximumBlobBytes: the largest value `put` accepts. Default 8 MiB.
    ///   - logger: where connection loss and recovery, and migrations, are reported. Default a
    ///     logger labelled `autocert.storage`.
    /// - Throws: ``StorageError/Code/unavailable`` naming the URL and what failed when the URL is
    ///   not one, PostgreSQL cannot be reached, refuses the credentials, or the schema cannot be
    ///   brought up to date.
    public init(
        url: String,
        password: String?,
        tls: PostgresTLSMode = .requireUnlessLoopback,
        operationTimeout: Duration = .seconds(10),
        maximumBlobBytes: Int = 8 << 20,
        logger: Logger = Logger(label: "autocert.storage")
    ) async throws(StorageError) {
        let location = try PostgresLocation(url: url)
        let (poolTLS, connectionTLS) = try tls.resolved(for: location)
        self.location = location
        self.operationTimeout = operationTimeout
        self.maximumBlobBytes = maximumBlobBytes
        var logger = logger
        logger[metadataKey: "postgres"] = "\(location)"
        self.logger = logger

        var listener = PostgresConnection.Configuration(
            host: location.host, port: location.port, username: location.user,
            password: password, database: location.database, tls: connectionTLS)
        listener.options.connectTimeout = .milliseconds(Int64(min(operationTimeout, .seconds(10)).seconds * 1000))
        listenerConfiguration = listener

        var pool = PostgresClient.Configuration(
            host: location.host, port: location.port, username: location.user,
            password: password, database: location.database, tls: poolTLS)
        pool.options.connectTimeout = min(operationTimeout, .seconds(10))
        pool.options.maximumConnections = 8
        // PostgresNIO logs each failed connection attempt; this storage reports loss and
        // recovery itself, once, so only the pool's errors pass.
        var poolLogger = logger
        poolLogger.logLevel = max(logger.logLevel, .error)
        client = PostgresClient(configuration: pool, backgroundLogger: poolLogger)

        try await migrate()
    }

    /// Opens one connection, applies the missing migration steps, and closes it.
    private func migrate() async throws(StorageError) {
        let configuration = listenerConfiguration, logger = quietLogger
        let applied: [Int]
        do {
            applied = try await Self.withTimeout(operationTimeout) {
                let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
                do {
                    let applied = try await withTaskCancellationHandler {
                        try await PostgresSchema.migrate(connection, logger: logger)
                    } onCancel: {
                        _ = connection.close() as EventLoopFuture<Void>
                    }
                    try? await connection.close()
                    return applied
                } catch {
                    try? await connection.close()
                    throw error
                }
            }
        } catch {
            throw failure(error, doing: "bring the schema up to date")
        }
        if !applied.isEmpty {
            self.logger.notice("PostgreSQL schema migrated", metadata: ["versions": "\(applied.map(String.init).joined(separator: ","))", "version": "\(PostgresSchema.newestVersion)"])
        }
    }

    /// Whether the connection that listens for changes is listening now (for tests that must
    /// not put before another instance can hear it).
    package var isListening: Bool { state.withLock { $0.listening } }
}
