import AutocertOCSP
import AutocertStapling
import Foundation

/// Something the application may want to act on, read from ``Manager/events``.
public enum ManagerEvent: Sendable, CustomStringConvertible {
    /// A new certificate for `name` was issued and is served; renewal is planned at `renewAt`.
    case obtained(name: String, notAfter: Date, renewAt: Date)
    /// A stored certificate for `name` was loaded and is served.
    case loaded(name: String, notAfter: Date, renewAt: Date)
    /// A stored record for `name` failed validation and is treated as absent (it will be replaced).
    case invalidStoredRecord(name: String, reason: String)
    /// The certificate of `name` was replaced by a renewed one.
    case renewed(name: String, notAfter: Date, renewAt: Date, newKey: Bool)
    /// Obtaining or renewing `name` failed; the current certificate (if any) is still served
    /// and the next attempt is at `nextAttempt`.
    case failed(name: String, error: AutocertError, failureStreak: Int, nextAttempt: Date)
    /// The OCSP responder says the certificate of `name` is revoked: it is being replaced at
    /// once (with a new key when `reason` is keyCompromise).
    case revoked(name: String, reason: OCSPRevocationReason?)
    /// The CA's renewal information (ARI, RFC 9773) gave a new window for the certificate of
    /// `name`: it will be renewed at `renewAt` (now, when the window is in the past), with the
    /// CA's explanation when it gave one.
    case renewalWindow(name: String, start: Date, end: Date, renewAt: Date, explanationURL: String?)
    /// An event of the stapler (``Configuration/stapleOCSP``), passed on unchanged.
    case stapling(StaplingEvent)

    public var description: String {
        switch self {
        case .obtained(let name, let notAfter, let renewAt):
            "obtained \(name): valid until \(notAfter), renewal at \(renewAt)"
        case .loaded(let name, let notAfter, let renewAt):
            "loaded \(name) from storage: valid until \(notAfter), renewal at \(renewAt)"
        case .invalidStoredRecord(let name, let reason):
            "invalid stored record for \(name): \(reason)"
        case .renewed(let name, let notAfter, let renewAt, let newKey):
            "renewed \(name)\(newKey ? " with a new key" : ""): valid until \(notAfter), renewal at \(renewAt)"
        case .failed(let name, let error, let streak, let next):
            "failed \(name) (\(streak) in a row): \(error); next attempt \(next)"
        case .renewalWindow(let name, let start, let end, let renewAt, let explanation):
            "renewal window for \(name): \(start) to \(end), renewal at \(renewAt)\(explanation.map { " (\($0))" } ?? "")"
        case .revoked(let name, let reason):
            "revoked \(name)\(reason.map { " (\($0))" } ?? ""): replacing it"
        case .stapling(let event):
            "stapling: \(event)"
        }
    }
}
