/// How the client polls authorizations and orders while the CA works (RFC 8555 §7.5.1 for
/// authorizations, §7.4 for an order after finalize).
///
/// The rule, poll by poll:
/// - **The CA sent `Retry-After`** (RFC 8555 §7.5.1 says clients should honour it; RFC 9110
///   §10.2.3 gives its two forms, delay-seconds and an HTTP-date): the next poll waits exactly
///   that long, clamped to [``minimumInterval``, ``maximumInterval``], with no jitter (the CA
///   said when).
/// - **No `Retry-After`**: exponential backoff. The first pause is ``minimumInterval`` (50 ms),
///   each later one twice the one before, up to ``backoffCeiling`` (4 s): 50, 100, 200, 400,
///   800 ms, 1.6, 3.2, 4, 4, … s. Each pause is then shortened by a random share of at most
///   ``jitter`` (20 %), so that clients that started together do not poll together, but
///   never below ``minimumInterval`` (so the first pause is always 50 ms).
/// - The whole wait for one resource is bounded by ``timeout``; a pause that would end past it
///   throws ``ACMEError/Code/pollTimedOut`` instead of sleeping.
///
/// Why this is polite to a real CA: a CA that validates at once (Pebble, a CA next door) is
/// polled after 50 and 150 ms instead of after a fixed 500 ms; a CA that takes its time gets
/// fewer requests than with a fixed interval — 6 polls in the first 3 s, then one every 3.2–4 s
/// (at most about 80 in the 300-s timeout, against 600 at a fixed 500 ms) — and a CA that says
/// how long to wait is never polled sooner than it asked, nor later than ``maximumInterval``.
public struct ACMEPolling: Sendable, Hashable {
    /// The first pause without Retry-After, and the shortest pause ever (a `Retry-After: 0`
    /// or an HTTP-date in the past waits this long, never zero).
    public var minimumInterval: Duration = .milliseconds(50)
    /// The longest pause of the backoff (without Retry-After); ``maximumInterval`` bounds it too.
    public var backoffCeiling: Duration = .seconds(4)
    /// The longest single pause, whatever the CA asks in its Retry-After.
    public var maximumInterval: Duration = .seconds(30)
    /// The longest total wait for one resource.
    public var timeout: Duration = .seconds(300)
    /// The largest share (0 to 1) by which a backoff pause is shortened at random.
    public var jitter: Double = 0.2

    public init(minimumInterval: Duration = .milliseconds(50), backoffCeiling: Duration = .seconds(4),
                maximumInterval: Duration = .seconds(30), timeout: Duration = .seconds(300), jitter: Double = 0.2) {
        self.minimumInterval = minimumInterval
        self.backoffCeiling = backoffCeiling
        self.maximumInterval = maximumInterval
        self.timeout = timeout
        self.jitter = jitter
    }

    /// The pause before poll number `poll` (1 for the first poll after the resource was
    /// fetched or created): the CA's Retry-After clamped to [``minimumInterval``,
    /// ``maximumInterval``], or the backoff step shortened by `unit` × ``jitter`` (`unit` in [0, 1)).
    public func pause(poll: Int, retryAfter: Duration?, unit: Double) -> Duration {
        if let retryAfter {
            return min(max(retryAfter, minimumInterval), maximumInterval)
        }
        let ceiling = max(min(backoffCeiling, maximumInterval), minimumInterval)
        let doublings = min(max(poll, 1) - 1, 62)
        var step = minimumInterval
        for _ in 0..<doublings where step < ceiling { step = step * 2 }
        step = min(step, ceiling)
        let share = min(max(jitter, 0), 1) * min(max(unit, 0), 1)
        return max(step - step * share, minimumInterval)
    }

    func start(clock: any ACMEPollingClock) -> Poller {
        Poller(policy: self, clock: clock, deadline: clock.now + timeout)
    }

    /// One bounded polling loop for one resource.
    struct Poller {
        let policy: ACMEPolling
        let clock: any ACMEPollingClock
        let deadline: Duration
        private(set) var polls = 0

        init(policy: ACMEPolling, clock: any ACMEPollingClock, deadline: Duration) {
            self.policy = policy
            self.clock = clock
            self.deadline = deadline
        }

        /// Sleeps before the next poll, or throws ``ACMEError/Code/pollTimedOut`` when the
        /// pause would end past the deadline.
        mutating func wait(retryAfter: Duration?, what: String) async throws {
            polls += 1
            let pause = policy.pause(poll: polls, retryAfter: retryAfter, unit: clock.randomUnit())
            guard clock.now + pause <= deadline else {
                throw ACMEError(.pollTimedOut, "gave up waiting for \(what) after \(policy.timeout) (\(polls - 1) polls); the CA may be slow, try again later")
            }
            try await clock.sleep(for: pause)
        }
    }
}

/// Time as the poller sees it: the system's monotonic clock, or in tests one that only
/// pretends to sleep.
protocol ACMEPollingClock: Sendable {
    /// Time since a fixed start (monotonic).
    var now: Duration { get }
    func sleep(for pause: Duration) async throws
    /// A random number in [0, 1), for the jitter.
    func randomUnit() -> Double
}

/// The real clock: `ContinuousClock`, `Task.sleep`, the system's random numbers.
struct SystemPollingClock: ACMEPollingClock {
    private static let origin = ContinuousClock.now

    var now: Duration { ContinuousClock.now - Self.origin }

    func sleep(for pause: Duration) async throws { try await Task.sleep(for: pause) }

    func randomUnit() -> Double { Double.random(in: 0..<1) }
}
