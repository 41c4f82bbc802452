import Foundation

/// A summary for health checks: how many certificates are stapled, and which are not and why.
public struct StaplingHealth: Sendable, Hashable {
    /// One certificate without a fresh staple.
    public struct Problem: Sendable, Hashable {
        public var id: StapleID
        public var info: StapleInfo
    }

    /// Certificates under management.
    public var certificates: Int
    /// Certificates with a staple served now and no failed refresh since.
    public var fresh: Int
    /// Certificates without OCSP (no responder URL and no override): nothing to staple, the
    /// normal case for CAs that no longer run OCSP (Let's Encrypt since 2025). Healthy.
    public var withoutOCSP: Int
    /// Every other certificate: no staple (pending, unknown, failing, revoked, expired), or
    /// a staple still served while its refreshes fail.
    public var problems: [Problem]

    /// Whether every certificate has a fresh staple or needs none.
    public var isHealthy: Bool { problems.isEmpty }
}
