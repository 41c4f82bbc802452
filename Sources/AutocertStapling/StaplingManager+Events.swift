import Synchronization

extension StaplingManager {
    /// The extra event streams made by ``makeEventStream(bufferingNewest:)``.
    final class Subscribers: Sendable {
        private let streams = Mutex<(next: UInt64, continuations: [UInt64: AsyncStream<StaplingEvent>.Continuation])>((0, [:]))

        func add(_ continuation: AsyncStream<StaplingEvent>.Continuation) {
            let token = streams.withLock { state -> UInt64 in
                state.next += 1
                state.continuations[state.next] = continuation
                return state.next
            }
            continuation.onTermination = { [weak self] _ in
                self?.streams.withLock { _ = $0.continuations.removeValue(forKey: token) }
            }
        }

        func yield(_ event: StaplingEvent) {
            for continuation in streams.withLock({ Array($0.continuations.values) }) { continuation.yield(event) }
        }

        func finish() {
            for continuation in streams.withLock({ Array($0.continuations.values) }) { continuation.finish() }
        }
    }

    /// A new stream of every event from now on, for one more reader (``events`` serves one).
    ///
    /// The autocert layer reads its own stream to replace revoked certificates while the
    /// application reads ``events``. Each stream keeps at most `bufferingNewest` unread
    /// events (the oldest are dropped first) and finishes when ``run()`` returns.
    public func makeEventStream(bufferingNewest: Int = 1024) -> AsyncStream<StaplingEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: StaplingEvent.self, bufferingPolicy: .bufferingNewest(max(1, bufferingNewest)))
        subscribers.add(continuation)
        return stream
    }

    func emit(_ event: StaplingEvent) {
        eventContinuation.yield(event)
        subscribers.yield(event)
    }
}
