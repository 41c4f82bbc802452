import Synchronization

extension PostgresStorage {
    /// Runs `body` and returns what it returns, or throws ``TimedOut`` once `timeout` has passed
    /// (or `CancellationError` when the caller is cancelled), cancelling `body` then.
    ///
    /// The caller does not wait for a cancelled `body` to end: PostgresNIO's query on a connection
    /// torn down under it can wait forever for an answer, and an operation must end within its
    /// timeout. So `body` runs in a task of its own, the one place this storage makes one; a
    /// cancelled `body` ends on its own (its connection is closed on cancellation).
    static func withTimeout<Result: Sendable>(
        _ timeout: Duration, _ body: @escaping @Sendable () async throws -> Result
    ) async throws -> Result {
        let race = TimeoutRace<Result>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                race.start(continuation, timeout: timeout, body)
            }
        } onCancel: {
            race.finish(.failure(CancellationError()))
        }
    }

    /// An operation did not end within its timeout.
    struct TimedOut: Error {
        let timeout: Duration
    }
}

/// The first of an operation's outcome, its timeout and its caller's cancellation, handed to the
/// caller once; the operation and the timer are cancelled when it is decided.
final class TimeoutRace<Value: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Value, any Error>?
        var outcome: Result<Value, any Error>?
        var tasks: [Task<Void, Never>] = []
    }

    private let state = Mutex(State())

    /// Starts `body` and the timer, unless the race was decided already (the caller cancelled).
    func start(_ continuation: CheckedContinuation<Value, any Error>, timeout: Duration, _ body: @escaping @Sendable () async throws -> Value) {
        let decided = state.withLock { state -> Result<Value, any Error>? in
            if let outcome = state.outcome { return outcome }
            state.continuation = continuation
            return nil
        }
        if let decided {
            continuation.resume(with: decided)
            return
        }
        let work = Task {
            do { self.finish(.success(try await body())) } catch { self.finish(.failure(error)) }
        }
        let timer = Task {
            guard (try? await Task.sleep(for: timeout)) != nil else { return }
            self.finish(.failure(PostgresStorage.TimedOut(timeout: timeout)))
        }
        let late = state.withLock { state -> Bool in
            state.tasks = [work, timer]
            return state.outcome != nil
        }
        if late { work.cancel(); timer.cancel() }
    }

    /// Decides the race with `outcome` if it is not decided yet.
    func finish(_ outcome: Result<Value, any Error>) {
        let (continuation, tasks) = state.withLock { state -> (CheckedContinuation<Value, any Error>?, [Task<Void, Never>]) in
            guard state.outcome == nil else { return (nil, []) }
            state.outcome = outcome
            defer { state.continuation = nil }
            return (state.continuation, state.tasks)
        }
        continuation?.resume(with: outcome)
        for task in tasks { task.cancel() }
    }
}
