import Foundation

extension HTTPResponse {
    /// The `Retry-After` header (RFC 9110 §10.2.3), delay-seconds or an HTTP-date, as a
    /// wait from `now`; nil when absent or unreadable. Both the OCSP client (RFC 5019 §5)
    /// and the ACME client (RFC 8555 §6.6, §7.5.1) read it.
    package func retryAfter(now: Date = Date()) -> Duration? {
        Self.retryAfter(header("Retry-After"), now: now)
    }

    /// A `Retry-After` value read as ``retryAfter(now:)`` reads it.
    package static func retryAfter(_ value: String?, now: Date = Date()) -> Duration? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let seconds = Int(value), seconds >= 0 { return .seconds(seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        return .seconds(max(0, Int(date.timeIntervalSince(now).rounded(.up))))
    }
}
