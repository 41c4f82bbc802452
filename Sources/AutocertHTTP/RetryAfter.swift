import Foundation

extension HTTPResponse {
    /// The `Retry-After` header (RFC 9110 §10.2.3), delay-seconds or an HTTP-date (any of the
    /// three formats of §5.6.7, read by `HTTPDate`), as a wait from `now`; nil when absent or
    /// unreadable. Both the OCSP client (RFC 5019 §5)
    /// and the ACME client (RFC 8555 §6.6, §7.5.1) read it.
    package func retryAfter(now: Date = Date()) -> Duration? {
        Self.retryAfter(header("Retry-After"), now: now)
    }

    /// A `Retry-After` value read as ``retryAfter(now:)`` reads it.
    package static func retryAfter(_ value: String?, now: Date = Date()) -> Duration? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let seconds = Int(value), seconds >= 0 { return .seconds(seconds) }
        guard let date = HTTPDate.parse(value, now: now) else { return nil }
        return .seconds(max(0, Int(date.timeIntervalSince(now).rounded(.up))))
    }
}
