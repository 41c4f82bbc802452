import Foundation

/// Exponential backoff with full jitter between a floor and a ceiling: the retry rule of
/// both staple fetches (``StaplePolicy``) and certificate renewals (the autocert Manager's
/// `RenewalPolicy`), so that a failing peer sees a bounded, decaying request rate.
package struct Backoff: Sendable, Hashable {
    package var floor: Duration
    package var ceiling: Duration
    /// A peer's Retry-After is honoured up to this long.
    package var maximumRetryAfter: Duration

    package init(floor: Duration, ceiling: Duration, maximumRetryAfter: Duration) {
        self.floor = floor
        self.ceiling = ceiling
        self.maximumRetryAfter = maximumRetryAfter
    }

    /// How long to wait after the `failureStreak`-th failure in a row (1 for the first):
    /// uniform in [floor, min(ceiling, floor × 2^streak)], `unit` in [0, 1) choosing the
    /// point; a Retry-After lengthens the wait (up to ``maximumRetryAfter``), never shortens it.
    package func delay(failureStreak: Int, unit: Double, retryAfter: Duration?) -> Duration {
        let floor = self.floor.seconds
        let exponent = Double(min(max(failureStreak, 1), 62))
        let cap = max(floor, min(ceiling.seconds, floor * pow(2, exponent)))
        var delay = floor + (cap - floor) * min(max(unit, 0), 1)
        if let retryAfter {
            delay = max(delay, min(retryAfter.seconds, maximumRetryAfter.seconds))
        }
        return .seconds(interval: delay)
    }
}
