import AutocertACME
import AutocertStapling
import Foundation

/// How the Manager follows a CA's renewal information (ARI, RFC 9773): when to renew inside
/// a suggested window and when to ask again. Pure functions, so each rule is tested exactly.
enum RenewalInfoPolicy {
    /// How long to wait before asking again when the CA gives no Retry-After.
    static let defaultRecheck: TimeInterval = 6 * 3600
    /// Retry-After is honoured within these bounds (RFC 9773 §4.3: under a minute counts as a
    /// minute, over a day as a day).
    static let recheckBounds: ClosedRange<TimeInterval> = 60...86_400

    /// The instant to renew for `window`, given the one chosen for `previous` (RFC 9773 §4.2):
    /// the same instant while the window is the same; otherwise a uniformly random instant in
    /// it (`unit` in [0, 1)); and now when that instant, or the whole window, has passed (the
    /// CA moved it into the past to ask for an early renewal, after a revocation say).
    static func renewalTime(window: ACMERenewalInfo.Window, previous: (window: ACMERenewalInfo.Window, renewAt: Date)?,
                            now: Date, unit: Double) -> Date {
        let chosen: Date
        if let previous, previous.window == window {
            chosen = previous.renewAt
        } else {
            let span = window.end.timeIntervalSince(window.start)
            chosen = window.start.addingTimeInterval(span * min(max(unit, 0), 1))
        }
        return chosen <= now || window.end <= now ? now : chosen
    }

    /// When to ask again after an answer with `retryAfter` (RFC 9773 §4.3).
    static func nextCheck(after now: Date, retryAfter: Duration?) -> Date {
        let wait = retryAfter.map(\.seconds) ?? defaultRecheck
        return now.addingTimeInterval(min(max(wait, recheckBounds.lowerBound), recheckBounds.upperBound))
    }
}
