import Foundation

/// When to refresh a staple, how long to serve it, and how to retry: every rule and its default.
///
/// The functions here are pure (time and randomness are parameters) so that tests can
/// check each rule exactly; `docs/stapling-policy.md` explains why each rule exists.
public struct StaplePolicy: Sendable, Hashable {
    /// Where in the validity window (thisUpdate..nextUpdate) to refresh. Default 0.5, the
    /// midpoint: the responder has long published a newer response (RFC 5019 §6.1 responders
    /// pre-produce them) and half the window is left to ride out an outage.
    public var refreshFraction: Double
    /// Random spread around that point as a fraction of the window. Default 0.1: refresh
    /// between 40 % and 60 %, so certificates issued together do not refresh together.
    public var refreshJitter: Double
    /// The latest refresh is this long before the staple expires. Default 1 hour, but never
    /// more than a quarter of the window (short windows still get a midpoint refresh).
    public var safetyMargin: Duration
    /// No refresh sooner than this after a successful fetch, whatever the window says.
    /// Default 60 s: a responder serving very short windows cannot make us poll it hot.
    public var minimumRefreshInterval: Duration
    /// The lifetime of a response without nextUpdate, counted from its thisUpdate. RFC 6960
    /// §4.2.2.1 says such a response means "newer information is always available"; a staple
    /// still needs an end. Default 1 day, as Firefox (mozilla::pkix) assumes for such staples.
    public var lifetimeWithoutNextUpdate: Duration
    /// Whether the responder's Cache-Control max-age (RFC 5019 §6.2) delays the next refresh
    /// until the cached response it describes is stale (asking earlier only gets the same
    /// cached bytes back from the responder's CDN). Never delays past the safety margin.
    /// Default true.
    public var honoursMaxAge: Bool
    /// The first retry after a failure waits between `retryFloor` and twice it; each further
    /// failure doubles the upper bound (full jitter), up to `retryCeiling`. Default 30 s.
    public var retryFloor: Duration
    /// The longest wait between two attempts for one certificate. Default 1 hour.
    public var retryCeiling: Duration
    /// A responder's Retry-After (RFC 9110 §10.2.3) is honoured up to this long. Default 6 hours.
    public var maximumRetryAfter: Duration
    /// Whether a verified `revoked` response is stapled. Default true: it is the truth, and
    /// stapling it stops clients that soft-fail from accepting a revoked certificate.
    public var staplesRevokedResponses: Bool

    public init(
        refreshFraction: Double = 0.5,
        refreshJitter: Double = 0.1,
        safetyMargin: Duration = .seconds(3600),
        minimumRefreshInterval: Duration = .seconds(60),
        lifetimeWithoutNextUpdate: Duration = .seconds(86_400),
        honoursMaxAge: Bool = true,
        retryFloor: Duration = .seconds(30),
        retryCeiling: Duration = .seconds(3600),
        maximumRetryAfter: Duration = .seconds(6 * 3600),
        staplesRevokedResponses: Bool = true
    ) {
        self.refreshFraction = refreshFraction
        self.refreshJitter = refreshJitter
        self.safetyMargin = safetyMargin
        self.minimumRefreshInterval = minimumRefreshInterval
        self.lifetimeWithoutNextUpdate = lifetimeWithoutNextUpdate
        self.honoursMaxAge = honoursMaxAge
        self.retryFloor = retryFloor
        self.retryCeiling = retryCeiling
        self.maximumRetryAfter = maximumRetryAfter
        self.staplesRevokedResponses = staplesRevokedResponses
    }

    /// The instant a staple stops being served: nextUpdate (or thisUpdate plus
    /// ``lifetimeWithoutNextUpdate``), clamped to the certificate's notAfter so that no
    /// staple outlives its certificate (short-lived certificates still get staples).
    public func servedUntil(thisUpdate: Date, nextUpdate: Date?, certificateNotAfter: Date) -> Date {
        let natural = nextUpdate ?? thisUpdate.addingTimeInterval(lifetimeWithoutNextUpdate.seconds)
        return min(natural, certificateNotAfter)
    }

    /// When to refresh a staple fetched at `fetchedAt` and served until `servedUntil`.
    ///
    /// `unit` is a random number in [0, 1) that places the refresh in the jitter band:
    /// thisUpdate + window × (fraction ± jitter); then no later than the safety margin before
    /// `servedUntil`; no earlier than `fetchedAt + maxAge` (when honoured) unless that passes
    /// the margin; and never sooner than ``minimumRefreshInterval`` after `fetchedAt`.
    public func refreshTime(thisUpdate: Date, servedUntil: Date, fetchedAt: Date, maxAge: Duration?, unit: Double) -> Date {
        let window = max(0, servedUntil.timeIntervalSince(thisUpdate))
        let fraction = refreshFraction + (2 * min(max(unit, 0), 1) - 1) * refreshJitter
        var time = thisUpdate.addingTimeInterval(window * fraction)
        let latest = servedUntil.addingTimeInterval(-min(safetyMargin.seconds, window / 4))
        time = min(time, latest)
        if honoursMaxAge, let maxAge {
            time = min(max(time, fetchedAt.addingTimeInterval(maxAge.seconds)), latest)
        }
        return max(time, fetchedAt.addingTimeInterval(minimumRefreshInterval.seconds))
    }

    /// How long to wait after the `failureStreak`-th failure in a row (1 for the first).
    ///
    /// Exponential backoff with full jitter between a floor and a ceiling: uniform in
    /// [floor, min(ceiling, floor × 2^streak)], `unit` in [0, 1) choosing the point; a
    /// Retry-After from the responder lengthens the wait (up to ``maximumRetryAfter``),
    /// never shortens it.
    public func retryDelay(failureStreak: Int, unit: Double, retryAfter: Duration?) -> Duration {
        Backoff(floor: retryFloor, ceiling: retryCeiling, maximumRetryAfter: maximumRetryAfter)
            .delay(failureStreak: failureStreak, unit: unit, retryAfter: retryAfter)
    }
}
