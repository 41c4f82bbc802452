/// How the client polls authorizations and orders (RFC 8555 §7.5.1): the CA's Retry-After
/// is honoured, clamped to [`minimumInterval`, `maximumInterval`], and the whole wait is
/// bounded by `timeout`.
public struct ACMEPolling: Sendable, Hashable {
    /// The pause when the CA gives no Retry-After, and the shortest pause ever.
    public var minimumInterval: Duration = .milliseconds(500)
    /// The longest single pause, whatever the CA asks.
    public var maximumInterval: Duration = .seconds(30)
    /// The longest total wait for one resource.
    public var timeout: Duration = .seconds(300)

    public init(minimumInterval: Duration = .milliseconds(500), maximumInterval: Duration = .seconds(30), timeout: Duration = .seconds(300)) {
        self.minimumInterval = minimumInterval
        self.maximumInterval = maximumInterval
        self.timeout = timeout
    }

    /// The pause before the next poll: the CA's Retry-After clamped to the bounds, or the minimum.
    public func pause(retryAfter: Duration?) -> Duration {
        min(max(retryAfter ?? minimumInterval, minimumInterval), maximumInterval)
    }

    func start() -> Poller { Poller(policy: self, deadline: ContinuousClock.now.advanced(by: timeout)) }

    /// One bounded polling loop.
    struct Poller {
        let policy: ACMEPolling
        let deadline: ContinuousClock.Instant

        /// Sleeps before the next poll, or throws ``ACMEError/Code/pollTimedOut`` past the deadline.
        func wait(retryAfter: Duration?, what: String) async throws {
            let pause = policy.pause(retryAfter: retryAfter)
            guard ContinuousClock.now.advanced(by: pause) <= deadline else {
                throw ACMEError(.pollTimedOut, "gave up waiting for \(what) after \(policy.timeout); the CA may be slow, try again later")
            }
            try await Task.sleep(for: pause)
        }
    }
}
