import AutocertOCSP
import Foundation

/// Something the application may want to act on, read from ``StaplingManager/events``.
public enum StaplingEvent: Sendable, CustomStringConvertible {
    /// A verified response was fetched and is being stapled (`good`, or `revoked` when
    /// revoked responses are stapled); the next refresh is planned at `nextRefresh`.
    case fetched(StapleID, status: OCSPAnswer.Status, thisUpdate: Date, servedUntil: Date, nextRefresh: Date)
    /// A fetch failed; the last good staple (if any) is still served until
    /// `servingUntil`; the next attempt is at `nextAttempt`.
    case failed(StapleID, reason: OCSPError, failureStreak: Int, nextAttempt: Date, servingUntil: Date?)
    /// The responder says the certificate is revoked: replace it. Emitted once per
    /// certificate, on the first revoked answer.
    case revoked(StapleID, time: Date, reason: OCSPRevocationReason?)
    /// Refreshing keeps failing and the served staple will expire before the next attempt
    /// can replace it (or it is past its safety margin). Emitted once per staple.
    case expiringWithoutRefresh(StapleID, expiresAt: Date, nextAttempt: Date)
    /// The served staple reached its end (nextUpdate, or the certificate's expiry) without a
    /// replacement; the certificate is now served without a staple.
    case expired(StapleID, at: Date)
    /// The certificate was removed from the manager.
    case removed(StapleID)
    /// A staple another instance of a cluster fetched and stored was verified again and is
    /// served here (no fetch from this instance); the next refresh is planned at `nextRefresh`.
    case adopted(StapleID, thisUpdate: Date, servedUntil: Date, nextRefresh: Date)

    /// The certificate the event is about.
    public var id: StapleID {
        switch self {
        case .fetched(let id, _, _, _, _), .failed(let id, _, _, _, _), .revoked(let id, _, _),
             .expiringWithoutRefresh(let id, _, _), .expired(let id, _), .removed(let id), .adopted(let id, _, _, _):
            id
        }
    }

    public var description: String {
        switch self {
        case .fetched(let id, let status, _, let until, let next):
            "fetched \(id): \(status), served until \(until), refresh at \(next)"
        case .failed(let id, let reason, let streak, let next, let until):
            "failed \(id) (\(streak) in a row): \(reason); next attempt \(next); serving \(until.map { "until \($0)" } ?? "nothing")"
        case .revoked(let id, let time, let reason):
            "revoked \(id) at \(time)\(reason.map { " (\($0))" } ?? "")"
        case .expiringWithoutRefresh(let id, let at, let next):
            "expiring without refresh \(id): staple ends \(at), next attempt \(next)"
        case .expired(let id, let at):
            "expired \(id) at \(at): no staple served"
        case .removed(let id):
            "removed \(id)"
        case .adopted(let id, _, let until, let next):
            "adopted \(id) from storage (fetched by another instance): served until \(until), refresh at \(next)"
        }
    }
}
