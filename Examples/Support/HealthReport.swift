import Autocert
import AutocertStapling
import AutocertTLS
import X509

/// What the health endpoint answers: 200 when every certificate is served with a valid
/// staple or needs none, 503 with the reasons otherwise (one per line).
public struct HealthReport: Sendable, Hashable {
    public var isHealthy: Bool
    /// A summary line, then one line per problem and per warning.
    public var lines: [String]

    /// The health of the automatic certificates: the Manager's served certificates and their
    /// staples (``Autocert/Manager/health()``).
    public init(_ health: ManagerHealth) {
        isHealthy = health.isHealthy
        lines = ["\(health.served) served, \(health.stapled) stapled, \(health.withoutOCSP) without OCSP, \(health.problems.count) problems"]
        lines += health.problems.map { "problem: \($0)" } + health.warnings.map { "warning: \($0)" }
        if let since = health.storageFailingSince {
            lines.append("problem: storage fails since \(since) (certificates are served from memory; see the storage error in the log)")
        }
        lines += health.unsaved.map { "problem: \($0): its certificate is not saved to storage yet (retried every 30 s)" }
    }

    /// The health of the certificates you bring: each asked for its staple now (the stapler's
    /// or its `--staple` file's, nil once past its end), with the stapler's reasons.
    public init(certificates: [(names: [String], key: CertifiedKey)], stapler: StaplingManager?) {
        var reasons: [[UInt8]: String] = [:]
        var warnings: [String] = []
        for problem in stapler?.health().problems ?? [] {
            if problem.info.condition == .stapled {  // still served; its refreshes fail
                warnings.append("warning: \(Self.name(of: problem.info.certificateDER)): \(problem.info.summary)")
            } else {
                reasons[problem.info.certificateDER] = problem.info.summary
            }
        }
        var problems: [String] = []
        var stapled = 0, withoutOCSP = 0
        for (names, key) in certificates {
            guard let source = key.stapleSource else { withoutOCSP += 1; continue }  // no staple asked for
            let leaf = key.certificateChain[0]
            let name = names.first ?? Self.name(of: leaf)
            if source.currentStaple() != nil {
                stapled += 1
            } else if let reason = reasons[leaf] {
                problems.append("problem: \(name): \(reason)")
            } else if source is StaticStaple {
                problems.append("problem: \(name): the --staple file's response has passed its nextUpdate; give a fresh one")
            } else {
                withoutOCSP += 1  // the stapler has nothing to staple: the certificate names no responder
            }
        }
        isHealthy = problems.isEmpty
        lines = ["\(certificates.count) served, \(stapled) stapled, \(withoutOCSP) without OCSP, \(problems.count) problems"]
        lines += problems + warnings
    }

    /// The subject's common name, or a placeholder, for a line about a certificate.
    static func name(of der: [UInt8]) -> String {
        guard let certificate = try? Certificate(derEncoded: der) else { return "a certificate" }
        return certificate.subject.description
    }

    /// The response body: the status word, then the lines.
    public var body: String {
        ([isHealthy ? "ok" : "unhealthy"] + lines).joined(separator: "\n") + "\n"
    }
}
