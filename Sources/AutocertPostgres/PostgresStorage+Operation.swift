import AutocertStorage
import PostgresNIO

extension PostgresStorage {
    /// Runs `body` on a pooled connection within ``operationTimeout``, waiting for the connection
    /// included; any failure becomes a ``StorageError`` that says what was being done.
    ///
    /// On timeout the connection is closed (a query stuck on a dead network ends at once) and
    /// the error is ``StorageError/Code/unavailable``; the caller does not wait for the query
    /// to end (see ``withTimeout(_:_:)``).
    func perform<Result: Sendable>(
        _ what: String, _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws(StorageError) -> Result {
        let client = client
        do {
            return try await Self.withTimeout(operationTimeout) {
                while true {
                    let result: Result? = try await client.withConnection { connection in
                        // A connection closed by an earlier timeout may still be handed out (the
                        // pool learns of the close a moment later); a query written to it could
                        // wait forever. Nothing was sent: lease another.
                        if connection.isClosed { return nil }
                        return try await withTaskCancellationHandler {
                            try await body(connection)
                        } onCancel: {
                            _ = connection.close() as EventLoopFuture<Void>
                        }
                    }
                    if let result { return result }
                    try await Task.sleep(for: .milliseconds(10))
                }
            }
        } catch {
            throw failure(error, doing: what)
        }
    }
}
