import AutocertACME

/// Why the autocert ``Manager`` could not provide a certificate, and what to do about it.
///
/// Compare ``code`` with the static members of ``Code``; new codes may be added. A failure
/// of the CA keeps the original error (an `ACMEError`, a `StorageError`) in ``underlying``.
public struct AutocertError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure. New codes may be added; switch with a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The host policy refused the name; no CA traffic happened.
        public static let hostNotAllowed = Code("hostNotAllowed")
        /// The ClientHello named no server (RFC 6066 §3), so no certificate can be chosen.
        public static let missingServerName = Code("missingServerName")
        /// An `acme-tls/1` handshake (RFC 8737 §3) came for a name with no challenge in progress.
        public static let noChallengeCertificate = Code("noChallengeCertificate")
        /// The CA did not issue a certificate; see ``AutocertError/underlying``.
        public static let issuanceFailed = Code("issuanceFailed")
        /// Issuance for this name failed a moment ago; the next attempt waits for its backoff.
        public static let recentlyFailed = Code("recentlyFailed")
        /// Storage refused to read or write (permissions, disk full).
        public static let storageFailed = Code("storageFailed")
        /// A stored certificate or key is damaged: it does not parse, or the key does not match.
        public static let invalidRecord = Code("invalidRecord")
        /// The configuration cannot work (a storage directory that cannot be created, …).
        public static let invalidConfiguration = Code("invalidConfiguration")
        /// The CA requires agreeing to its terms of service and ``Manager/Configuration/acceptsTermsOfService`` is false.
        public static let termsNotAccepted = Code("termsNotAccepted")
        /// The Manager serves no certificate for the name asked about.
        public static let notServed = Code("notServed")
    }

    public let code: Code
    /// What failed and what to do, fit for a log line.
    public let reason: String
    /// The error that caused this one, when there is one.
    public let underlying: (any Error & Sendable)?

    public init(_ code: Code, _ reason: String, underlying: (any Error & Sendable)? = nil) {
        self.code = code
        self.reason = reason
        self.underlying = underlying
    }

    public var description: String {
        underlying.map { "autocert \(code): \(reason) (\($0))" } ?? "autocert \(code): \(reason)"
    }
}


extension AutocertError {
    /// How long the CA asked to wait before the next attempt (an ACME `rateLimited` problem's
    /// Retry-After, RFC 8555 §6.6), when it did.
    var retryAfter: Duration? {
        (underlying as? ACMEError)?.retryAfter
    }
}
