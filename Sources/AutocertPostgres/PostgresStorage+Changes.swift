import AutocertStorage
import Foundation
import PostgresNIO

/// Change notifications: a trigger on `autocert_blobs` sends each name inserted, updated or
/// deleted on the channel `autocert_changes` (NOTIFY, delivered when the writer commits); one
/// dedicated connection listens and hands each name to every ``changes()`` stream.
///
/// When that connection drops it is opened again with backoff and jitter (from 100 ms doubling
/// to 5 s). Changes made while it was down are not heard: readers also look again from time to
/// time, as ``ObservableStorage`` asks.
extension PostgresStorage {
    public func changes() -> AsyncStream<String> {
        broadcast.subscribe(bufferingNewest: 1024)
    }

    /// Listens until cancelled, connecting again whenever the connection is lost; logs the first
    /// loss as a warning, a reminder at most once a minute while it lasts, and the recovery.
    func listenForChanges() async {
        var failures = 0
        var lostAt: ContinuousClock.Instant?
        var remindedAt: ContinuousClock.Instant?
        var connectionID = 1
        while !Task.isCancelled {
            do {
                let connection = try await PostgresConnection.connect(configuration: listenerConfiguration, id: connectionID, logger: quietLogger)
                connectionID += 1
                try await listen(on: connection) {
                    failures = 0
                    if let lostAt {
                        logger.notice("PostgreSQL is reachable again; changes made meanwhile may not have been announced", metadata: ["after": "\(ContinuousClock.now - lostAt)"])
                    }
                    lostAt = nil
                    remindedAt = nil
                }
            } catch {
                if Task.isCancelled { break }
                let problem = Self.cause(of: error)
                state.withLock { $0.problem = problem }
                let now = ContinuousClock.now
                if let since = lostAt {
                    if let last = remindedAt, now - last >= .seconds(60) {
                        remindedAt = now
                        logger.warning("PostgreSQL is still unreachable", metadata: ["for": "\(now - since)", "error": "\(problem)"])
                    } else {
                        logger.debug("PostgreSQL connection attempt failed", metadata: ["error": "\(problem)"])
                    }
                } else {
                    lostAt = now
                    remindedAt = now
                    logger.warning("lost the connection to PostgreSQL; reconnecting with backoff, and storage operations fail with 'unavailable' until it is back", metadata: ["error": "\(problem)"])
                }
                failures += 1
                try? await Task.sleep(for: Self.backoff(afterFailures: failures))
            }
        }
    }

    /// Listens on `connection` until it closes or the task is cancelled, calling `connected` once
    /// listening; closes it at the end. Throws ``ConnectionClosed`` when it ends uncancelled.
    private func listen(on connection: PostgresConnection, connected: () -> Void) async throws {
        let broadcast = broadcast
        defer {
            state.withLock { $0.listening = false }
            _ = connection.close() as EventLoopFuture<Void>
        }
        // Cancellation closes the connection, which ends every wait on it (LISTEN's answer too).
        try await withTaskCancellationHandler {
            try await connection.listen(on: PostgresSchema.changesChannel) { notifications in
                state.withLock {
                    $0.listening = true
                    $0.problem = nil
                }
                connected()
                // The notification stream need not end when the connection drops; the close future
                // does. A network that drops packets silently closes nothing: the heartbeat notices.
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for try await notification in notifications { broadcast.publish(notification.payload) }
                    }
                    group.addTask { try await connection.closeFuture.get() }
                    group.addTask { try await self.heartbeat(on: connection) }
                    defer {
                        group.cancelAll()
                        _ = connection.close() as EventLoopFuture<Void>
                    }
                    try await group.next()
                }
            }
        } onCancel: {
            _ = connection.close() as EventLoopFuture<Void>
        }
        if !Task.isCancelled { throw ConnectionClosed() }
    }

    /// Asks `connection` for `SELECT 1` every 15 s; throws when an answer takes longer than the
    /// operation timeout (the connection is then closed).
    private func heartbeat(on connection: PostgresConnection) async throws {
        let logger = quietLogger
        while true {
            try await Task.sleep(for: .seconds(15))
            try await Self.withTimeout(operationTimeout) {
                try await withTaskCancellationHandler {
                    for try await _ in try await connection.query("SELECT 1", logger: logger) {}
                } onCancel: {
                    _ = connection.close() as EventLoopFuture<Void>
                }
            }
        }
    }

    /// The listening connection closed (PostgreSQL stopped, restarted, or the network dropped it).
    struct ConnectionClosed: Error {}

    /// The pause before connection attempt `failures + 1`: 100 ms doubling to 5 s, each drawn
    /// between half and all of it, so instances that lost PostgreSQL together do not return together.
    static func backoff(afterFailures failures: Int) -> Duration {
        let ceiling = min(0.1 * pow(2, Double(min(failures - 1, 10))), 5)
        return .seconds(interval: Double.random(in: (ceiling / 2)...ceiling))
    }

    /// The logger for PostgresNIO's own lines on the listening connection: only its errors.
    var quietLogger: Logger {
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .error)
        return quiet
    }
}
