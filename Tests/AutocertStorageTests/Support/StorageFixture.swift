import AutocertPostgres
import AutocertStorage
import AutocertTestSupport
import Foundation
import Logging
import Testing

/// The stores every conformance test runs against.
enum StorageKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case memory, directory, postgres

    var testDescription: String {
        switch self {
        case .memory: "MemoryStorage"
        case .directory: "DirectoryStorage"
        case .postgres: "PostgresStorage"
        }
    }

    /// The kinds that tell of changes (``ObservableStorage``).
    static let observable: [StorageKind] = [.memory, .postgres]
    /// The kinds shared between processes (the lock tests with several processes).
    static let shared: [StorageKind] = [.directory, .postgres]
    /// The kinds whose locks are leases that end by themselves.
    static let leased: [StorageKind] = [.memory, .postgres]
}

/// A store under test, a second instance over the same data (for MemoryStorage the same
/// object), and what the probe process is given to open it.
struct StorageFixture: Sendable {
    let kind: StorageKind
    let storage: any LockingStorage
    let other: any LockingStorage
    /// The probe's STORE argument and environment; nil for MemoryStorage (one process only).
    let probe: (store: String, environment: [String: String])?

    /// Runs `body` with a fresh store of `kind`, and removes it afterwards (a PostgreSQL server
    /// of its own for `.postgres`, stopped by PID).
    static func with(_ kind: StorageKind, _ body: @Sendable (StorageFixture) async throws -> Void) async throws {
        switch kind {
        case .memory:
            let storage = MemoryStorage()
            try await body(StorageFixture(kind: kind, storage: storage, other: storage, probe: nil))
        case .directory:
            let temporary = try TemporaryDirectory(prefix: "conformance")
            defer { temporary.remove() }
            let path = temporary.file("store")
            try await body(StorageFixture(kind: kind, storage: try DirectoryStorage(path: path), other: try DirectoryStorage(path: path), probe: (path, [:])))
        case .postgres:
            try await PostgresFixture.with { postgres in
                let (first, second) = (try await postgres.open(), try await postgres.open())
                try await PostgresFixture.running([first, second]) {
                    try await body(StorageFixture(
                        kind: kind, storage: first, other: second,
                        probe: (postgres.harness.url, ["AUTOCERT_PROBE_PASSWORD": postgres.harness.password])))
                }
            }
        }
    }
}

/// A PostgreSQL server of a test's own, and storages on it.
struct PostgresFixture: Sendable {
    let harness: PostgresHarness
    let logs: LogCapture

    /// Runs `body` with a new server; stops it by PID afterwards, whatever happened.
    static func with(_ body: @Sendable (PostgresFixture) async throws -> Void) async throws {
        let harness = try await PostgresHarness()
        do {
            try await body(PostgresFixture(harness: harness, logs: LogCapture()))
        } catch {
            await harness.stop()
            throw error
        }
        await harness.stop()
    }

    /// A new storage on the server's database (not yet running), logging into ``logs``.
    func open(operationTimeout: Duration = .seconds(5)) async throws -> PostgresStorage {
        try await PostgresStorage(url: harness.url, password: harness.password, operationTimeout: operationTimeout, logger: logs.logger(level: .debug))
    }

    /// Runs `body` while `storages` run (their `run()` in child tasks, cancelled afterwards),
    /// once each listens for changes.
    static func running(_ storages: [PostgresStorage], _ body: @Sendable () async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for storage in storages { group.addTask { try await storage.run() } }
            defer { group.cancelAll() }
            try await Poll.until("the storages to listen for changes", timeout: .seconds(20)) { storages.allSatisfy(\.isListening) }
            try await body()
        }
    }
}
