// autocert-storage-probe: opens the storage named on its command line and takes a lock, for the
// storage conformance suite's tests across processes. In no product.
//
//   AutocertStorageProbe STORE contend LOCK ROUNDS HOLD_MS LOG_FILE
//       ROUNDS times: takes LOCK with withLock, appends "start TOKEN PID" to LOG_FILE, holds it
//       HOLD_MS milliseconds, appends "end TOKEN PID", releases it.
//   AutocertStorageProbe STORE hold LOCK LEASE_MS
//       takes LOCK (lease LEASE_MS, renewed), prints "held TOKEN", and holds it until killed.
//
// STORE is a directory (DirectoryStorage) or postgres://USER@HOST:PORT/DB (PostgresStorage, its
// password in the environment variable AUTOCERT_PROBE_PASSWORD). Exits 0 when done, 1 with the
// error on standard error when anything fails.
import AutocertPostgres
import AutocertStorage
import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// Appends `line` to the file at `path` in one write(2) with O_APPEND, so lines of several
/// processes never interleave.
func append(_ line: String, to path: String) throws {
    let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw StorageError(.ioFailed, "could not open \(path)") }
    defer { close(fd) }
    let bytes = Array((line + "\n").utf8)
    guard write(fd, bytes, bytes.count) == bytes.count else { throw StorageError(.ioFailed, "could not append to \(path)") }
}

/// Runs `body` with the storage `store` names, running it (PostgresStorage is a Service) meanwhile.
func withStorage(_ store: String, _ body: @escaping @Sendable (any LockingStorage) async throws -> Void) async throws {
    guard store.hasPrefix("postgres://") || store.hasPrefix("postgresql://") else {
        try await body(try DirectoryStorage(path: store))
        return
    }
    let password = ProcessInfo.processInfo.environment["AUTOCERT_PROBE_PASSWORD"]
    var logger = Logger(label: "autocert-storage-probe")
    logger.logLevel = .warning
    let storage = try await PostgresStorage(url: store, password: password, operationTimeout: .seconds(5), logger: logger)
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await storage.run() }
        defer { group.cancelAll() }
        try await body(storage)
    }
}

let arguments = Array(CommandLine.arguments.dropFirst())
let pid = getpid()
do {
    switch (arguments.count, arguments.count > 1 ? arguments[1] : "") {
    case (6, "contend"):
        let (lock, rounds, holdMilliseconds, log) = (arguments[2], Int(arguments[3]) ?? 1, Int(arguments[4]) ?? 5, arguments[5])
        try await withStorage(arguments[0]) { storage in
            for _ in 0..<rounds {
                try await storage.withLock(lock, lease: .seconds(10), waitingUpTo: .seconds(120)) { held in
                    try append("start \(held.token) \(pid)", to: log)
                    try await Task.sleep(for: .milliseconds(holdMilliseconds))
                    try append("end \(held.token) \(pid)", to: log)
                }
            }
        }
    case (4, "hold"):
        let (lock, leaseMilliseconds) = (arguments[2], Int(arguments[3]) ?? 3000)
        try await withStorage(arguments[0]) { storage in
            try await storage.withLock(lock, lease: .milliseconds(leaseMilliseconds), waitingUpTo: .seconds(60)) { held in
                FileHandle.standardOutput.write(Data("held \(held.token)\n".utf8))
                while true { try await Task.sleep(for: .seconds(3600)) }
            }
        }
    default:
        FileHandle.standardError.write(Data("usage: AutocertStorageProbe STORE contend LOCK ROUNDS HOLD_MS LOG_FILE | STORE hold LOCK LEASE_MS\n".utf8))
        exit(2)
    }
} catch {
    FileHandle.standardError.write(Data("AutocertStorageProbe: \(error)\n".utf8))
    exit(1)
}
