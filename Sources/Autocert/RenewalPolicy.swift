import AutocertStapling
import Foundation

/// When to renew a certificate and how to retry a failed issuance: every rule and its default.
///
/// Pure functions (time and randomness are parameters) so that tests check each rule exactly.
public struct RenewalPolicy: Sendable, Hashable {
    /// How long before notAfter to renew; nil (the default) means a third of the
    /// certificate's lifetime, at most ``maximumRenewBefore`` (30 days for a 90-day
    /// certificate), and for a short-lived certificate (a lifetime under
    /// ``shortLivedLifetime``) about half of it, so that it renews in the second half of its
    /// life whatever the jitter (a 160-hour certificate renews 72–79 hours before notAfter).
    /// A CA's renewal information (ARI, RFC 9773) overrides all of this when it has some.
    public var renewBefore: Duration?
    /// Certificates with a lifetime under this are short-lived. Default 10 days.
    public var shortLivedLifetime: Duration
    /// The cap on the computed renew-before. Default 30 days.
    public var maximumRenewBefore: Duration
    /// Renewal moves earlier by a random amount up to this fraction of the renew-before, so
    /// that certificates issued together do not renew together. Default 0.1.
    public var jitterFraction: Double
    /// The first retry after a failure waits between this and twice it; each further failure
    /// doubles the upper bound (full jitter) up to ``retryCeiling``. Default 1 minute.
    public var retryFloor: Duration
    /// The longest wait between two attempts for one name. Default 6 hours, which keeps a
    /// failing name well inside Let's Encrypt's failed-validation limits.
    public var retryCeiling: Duration
    /// A CA's Retry-After (RFC 8555 §6.6) is honoured up to this long. Default 1 day.
    public var maximumRetryAfter: Duration

    public init(
        renewBefore: Duration? = nil,
        maximumRenewBefore: Duration = .seconds(30 * 86_400),
        jitterFraction: Double = 0.1,
        retryFloor: Duration = .seconds(60),
        retryCeiling: Duration = .seconds(6 * 3600),
        maximumRetryAfter: Duration = .seconds(86_400),
        shortLivedLifetime: Duration = .seconds(10 * 86_400)
    ) {
        self.renewBefore = renewBefore
        self.shortLivedLifetime = shortLivedLifetime
        self.maximumRenewBefore = maximumRenewBefore
        self.jitterFraction = jitterFraction
        self.retryFloor = retryFloor
        self.retryCeiling = retryCeiling
        self.maximumRetryAfter = maximumRetryAfter
    }

    /// How long before notAfter a certificate valid from `notBefore` to `notAfter` is renewed,
    /// before jitter: min(lifetime / 3, ``maximumRenewBefore``); for a short-lived certificate
    /// lifetime / 2 × (1 − ``jitterFraction``), so that even the largest jitter keeps the
    /// renewal in the second half of its life; or ``renewBefore`` when set (never more than
    /// the whole lifetime).
    public func renewalWindow(notBefore: Date, notAfter: Date) -> TimeInterval {
        let lifetime = max(0, notAfter.timeIntervalSince(notBefore))
        let automatic = lifetime < shortLivedLifetime.seconds
            ? lifetime / 2 * (1 - min(max(jitterFraction, 0), 1))
            : min(lifetime / 3, maximumRenewBefore.seconds)
        return min(renewBefore.map(\.seconds) ?? automatic, lifetime)
    }

    /// The instant to renew: notAfter − window − jitter, where jitter is
    /// `unit` × ``jitterFraction`` × window (`unit` in [0, 1)).
    public func renewalTime(notBefore: Date, notAfter: Date, unit: Double) -> Date {
        let window = renewalWindow(notBefore: notBefore, notAfter: notAfter)
        let jitter = window * jitterFraction * min(max(unit, 0), 1)
        return notAfter.addingTimeInterval(-(window + jitter))
    }

    /// How long to wait after the `failureStreak`-th failure in a row (1 for the first):
    /// uniform in [floor, min(ceiling, floor × 2^streak)], `unit` in [0, 1) choosing the point;
    /// the CA's Retry-After lengthens it (up to ``maximumRetryAfter``), never shortens it.
    public func retryDelay(failureStreak: Int, unit: Double, retryAfter: Duration? = nil) -> Duration {
        Backoff(floor: retryFloor, ceiling: retryCeiling, maximumRetryAfter: maximumRetryAfter)
            .delay(failureStreak: failureStreak, unit: unit, retryAfter: retryAfter)
    }
}
