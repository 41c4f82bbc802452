extension StaplingManager {
    /// A new stream of every event from now on (see ``StaplingEvent``), for one reader.
    ///
    /// Call it once per reader, before starting what you want to hear about: each call makes
    /// a stream of its own, and every stream sees every event (the autocert layer reads one to
    /// replace revoked certificates while the application reads another). A stream keeps at
    /// most `bufferingNewest` unread events (default ``Configuration/eventBufferSize``),
    /// dropping the oldest first, and finishes when ``run()`` returns (at once if it has
    /// returned already).
    public func subscribe(bufferingNewest: Int? = nil) -> AsyncStream<StaplingEvent> {
        broadcast.subscribe(bufferingNewest: bufferingNewest ?? configuration.eventBufferSize)
    }

    func emit(_ event: StaplingEvent) {
        broadcast.publish(event)
    }
}
