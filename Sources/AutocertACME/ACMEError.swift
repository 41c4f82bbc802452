/// Why an ACME operation failed: one type for every failure of ``ACMEClient``.
///
/// When the CA answered with a problem document (RFC 8555 §6.7) it is in ``problem``,
/// with the HTTP ``status`` and, for `rateLimited`, the ``retryAfter`` the CA asked for.
public struct ACMEError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure. New codes may be added; switch with a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// The CA refused the request with a problem document; see ``ACMEError/problem``.
        public static let serverProblem = Code("serverProblem")
        /// The CA's rate limit was hit (`rateLimited`, RFC 8555 §6.6); wait for ``ACMEError/retryAfter``.
        public static let rateLimited = Code("rateLimited")
        /// The CA kept rejecting nonces past the configured number of fresh attempts.
        public static let badNonce = Code("badNonce")
        /// The directory URL did not serve an ACME directory (RFC 8555 §7.1.1).
        public static let notACME = Code("notACME")
        /// The CA's answer could not be understood (HTML, truncated or malformed JSON, missing header).
        public static let invalidResponse = Code("invalidResponse")
        /// The HTTP exchange itself failed (connection, TLS, timeout); see the reason.
        public static let transport = Code("transport")
        /// An authorization became `invalid`: the CA could not validate the challenge.
        public static let validationFailed = Code("validationFailed")
        /// An order became `invalid`.
        public static let orderFailed = Code("orderFailed")
        /// A resource did not reach a final state within the polling deadline.
        public static let pollTimedOut = Code("pollTimedOut")
        /// The caller passed something unusable (an empty name list, a bad key).
        public static let invalidInput = Code("invalidInput")
        /// The CA does not offer what was asked (no `keyChange`, no `revokeCert`, no EAB support).
        public static let unsupported = Code("unsupported")

        public var description: String { name }
    }

    /// What kind of failure this is.
    public let code: Code
    /// What failed and what to do, in words.
    public let reason: String
    /// The CA's problem document, when it sent one.
    public let problem: ACMEProblem?
    /// The HTTP status of the CA's answer, when there was one.
    public let status: Int?
    /// How long the CA asked the client to wait (the `Retry-After` header), when it said so.
    public let retryAfter: Duration?
    /// The URL of the request that failed.
    public let url: String?

    public init(_ code: Code, _ reason: String, problem: ACMEProblem? = nil, status: Int? = nil, retryAfter: Duration? = nil, url: String? = nil) {
        self.code = code
        self.reason = reason
        self.problem = problem
        self.status = status
        self.retryAfter = retryAfter
        self.url = url
    }

    /// The problem type's ACME name (`alreadyRevoked`, `rejectedIdentifier`, …), if any.
    public var problemName: String? { problem?.name }

    /// Whether the CA refused a CSR because it asked for OCSP Must-Staple (RFC 7633): a
    /// `badCSR` problem whose detail names it (Let's Encrypt's wording since 2025).
    public var refusesMustStaple: Bool {
        guard let problem, problem.isACMEError("badCSR") else { return false }
        let detail = (problem.detail ?? "").lowercased()
        return detail.contains("staple") || detail.contains("tls feature") || detail.contains("1.3.6.1.5.5.7.1.24")
    }

    public var description: String {
        var text = "ACME \(code): \(reason)"
        if let problem { text += " — CA said: \(problem)" }
        if let status { text += " (HTTP \(status))" }
        if let retryAfter { text += "; retry after \(retryAfter)" }
        if let url { text += " [\(url)]" }
        return text
    }
}
