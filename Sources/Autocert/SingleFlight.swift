import Synchronization

/// Runs at most one piece of work per key at a time; callers that arrive while it runs wait
/// for it and share its result (Go's `singleflight`).
///
/// The first caller for a key (the leader) runs the work in its own task, so the work is
/// structured: it is cancelled with the leader (its waiters then get the leader's error).
/// Later callers suspend until the leader finishes. Once finished, the key is free again:
/// results are not cached here.
final class SingleFlight<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let flights = Mutex<[Key: [CheckedContinuation<Result<Value, any Error>?, Never>]]>([:])

    init() {}

    /// The result of `work` for `key`: run here when no work for `key` is running, else
    /// that work's result.
    func run(_ key: Key, _ work: () async throws -> Value) async throws -> Value {
        while true {
            let leads = flights.withLock { flights -> Bool in
                guard flights[key] == nil else { return false }
                flights[key] = []
                return true
            }
            if leads {
                let result: Result<Value, any Error>
                do { result = .success(try await work()) } catch { result = .failure(error) }
                let waiters = flights.withLock { $0.removeValue(forKey: key) } ?? []
                for waiter in waiters { waiter.resume(returning: result) }
                return try result.get()
            }
            let shared = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Value, any Error>?, Never>) in
                let joined = flights.withLock { flights -> Bool in
                    guard flights[key] != nil else { return false }
                    flights[key]!.append(continuation)
                    return true
                }
                // The flight ended between the two locks: go round and lead a new one.
                if !joined { continuation.resume(returning: nil) }
            }
            if let shared { return try shared.get() }
        }
    }

    /// Whether work for `key` is running now.
    func isRunning(_ key: Key) -> Bool {
        flights.withLock { $0[key] != nil }
    }

    /// How many callers wait on the work for `key` (the leader not counted).
    func waiterCount(_ key: Key) -> Int {
        flights.withLock { $0[key]?.count ?? 0 }
    }
}
