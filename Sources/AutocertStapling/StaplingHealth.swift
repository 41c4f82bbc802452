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
    /// Every other certificate: no staple (pending, unknown, no responder, failing,
    /// revoked, expired), or a staple still served while its refreshes fail.
    public var problems: [Problem]

    /// Whether every certificate has a fresh staple.
    public var isHealthy: Bool { problems.isEmpty }
}
