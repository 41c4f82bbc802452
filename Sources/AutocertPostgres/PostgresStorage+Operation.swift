import AutocertStorage
import PostgresNIO

extension PostgresStorage {
    /// Runs `body` on a pooled connection within ``operationTimeout``, waiting for the connection
    /// included; any failure becomes a ``StorageError`` that says what was being done.
    ///
    /// On timeout the connection is closed (a query stuck on a dead network ends at once) and
    /// the error is ``StorageError/Code/unavailable``.
    func perform<Result: Sendable>(
        _ what: String, _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws(StorageError) -> Result {
        let client = client
        do {
            return try await Self.withTimeout(operationTimeout) {
                try await client.withConnection { connection in
                    try await withTaskCancellationHandler {
                        try await body(connection)
                    } onCancel: {
                        _ = connection.close() as EventLoopFuture<Void>
                    }
                }
            }
        } catch {
            throw failure(error, doing: what)
        }
    }

    /// Runs `body`, cancelling it and throwing ``TimedOut`` once `timeout` has passed.
    static func withTimeout<Result: Sendable>(
        _ timeout: Duration, _ body: @escaping @Sendable () async throws -> Result
    ) async throws -> Result {
        try await withThrowingTaskGroup(of: Result.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw TimedOut(timeout: timeout)
            }
            defer { group.cancelAll() }
            guard let first = try await group.next() else { throw CancellationError() }
            return first
        }
    }

    /// An operation did not end within its timeout.
    struct TimedOut: Error {
        let timeout: Duration
    }
}
