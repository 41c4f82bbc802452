import Synchronization

/// Every event to every subscriber: each ``subscribe(bufferingNewest:)`` makes a stream of
/// its own, so any number of readers each see every event (two readers of one `AsyncStream`
/// would silently split its elements between them).
///
/// A stream holds at most its buffer of unread events, dropping the oldest first, so a slow
/// reader never holds up the publisher. After ``finish()`` every stream ends, and a new
/// subscription ends at once.
package final class EventBroadcast<Event: Sendable>: Sendable {
    private struct State {
        var next: UInt64 = 0
        var finished = false
        var continuations: [UInt64: AsyncStream<Event>.Continuation] = [:]
    }

    private let state = Mutex(State())

    package init() {}

    /// A new stream of every event published from now on.
    package func subscribe(bufferingNewest: Int) -> AsyncStream<Event> {
        let (stream, continuation) = AsyncStream.makeStream(of: Event.self, bufferingPolicy: .bufferingNewest(max(1, bufferingNewest)))
        let token = state.withLock { state -> UInt64? in
            guard !state.finished else { return nil }
            state.next += 1
            state.continuations[state.next] = continuation
            return state.next
        }
        guard let token else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { _ = $0.continuations.removeValue(forKey: token) }
        }
        return stream
    }

    /// Hands `event` to every subscriber.
    package func publish(_ event: Event) {
        for continuation in state.withLock({ Array($0.continuations.values) }) { continuation.yield(event) }
    }

    /// Ends every stream, and every later subscription at once.
    package func finish() {
        let continuations = state.withLock { state in
            state.finished = true
            defer { state.continuations = [:] }
            return Array(state.continuations.values)
        }
        for continuation in continuations { continuation.finish() }
    }
}
