/// Every failure of the OCSP module: what failed, and what the user can do about it.
///
/// One struct for the module, with a ``Code`` that can grow without breaking callers
/// (switch on it with a `default`). Each code maps to one rule of RFC 6960 / RFC 5019 or
/// one way the network can fail; ``reason`` says which, in words fit for a log line.
public struct OCSPError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public let code: Code
    /// What failed and what the user can do.
    public let reason: String

    /// How long the responder asked us to wait before retrying (HTTP Retry-After on a
    /// 503 or tryLater), when it said.
    public var retryAfter: Duration?

    public init(_ code: Code, _ reason: String, retryAfter: Duration? = nil) {
        self.code = code
        self.reason = reason
        self.retryAfter = retryAfter
    }

    public var description: String { "OCSP \(code): \(reason)" }

    /// The kinds of failure. New codes may be added in any release.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        // MARK: Input

        /// A certificate or issuer could not be read (not PEM/DER, or not a certificate).
        public static let invalidCertificate = Code("invalidCertificate")
        /// The certificate names no OCSP responder (no AIA id-ad-ocsp URL) and none was given.
        public static let noResponderURL = Code("noResponderURL")
        /// The certificate was not issued by the given issuer.
        public static let issuerMismatch = Code("issuerMismatch")

        // MARK: Transport (RFC 5019 §5)

        /// The responder could not be reached, closed the connection, redirected too often or
        /// sent more than the body cap.
        public static let transportFailed = Code("transportFailed")
        /// The responder gave no complete answer within the deadline (a slow or stalled
        /// responder; retry later).
        public static let timedOut = Code("timedOut")
        /// The responder answered with an HTTP status other than 200.
        public static let httpStatus = Code("httpStatus")
        /// The responder answered 200 with a Content-Type other than application/ocsp-response.
        public static let wrongContentType = Code("wrongContentType")

        // MARK: Parsing (RFC 6960 §4.2.1)

        /// The bytes are not a DER OCSPResponse (truncated, trailing data, wrong types, BER).
        public static let malformedResponse = Code("malformedResponse")
        /// The response type is not id-pkix-ocsp-basic.
        public static let unsupportedResponseType = Code("unsupportedResponseType")

        // MARK: responseStatus (RFC 6960 §4.2.1, §2.3)

        /// The responder says our request was malformed.
        public static let malformedRequest = Code("malformedRequest")
        /// The responder had an internal error.
        public static let internalError = Code("internalError")
        /// The responder is temporarily unable to answer.
        public static let tryLater = Code("tryLater")
        /// The responder requires signed requests.
        public static let sigRequired = Code("sigRequired")
        /// The responder does not serve this certificate.
        public static let unauthorized = Code("unauthorized")

        // MARK: Verification (RFC 6960 §3.2, §4.2.2.2)

        /// The signature on the response does not verify with the signer's key.
        public static let badSignature = Code("badSignature")
        /// The signature or hash algorithm is not supported.
        public static let unsupportedAlgorithm = Code("unsupportedAlgorithm")
        /// No certificate authorised to sign for this issuer signed the response.
        public static let unauthorizedSigner = Code("unauthorizedSigner")
        /// The response holds no SingleResponse for the CertID that was asked.
        public static let noMatchingResponse = Code("noMatchingResponse")
        /// thisUpdate or producedAt is in the future (beyond the allowed clock skew).
        public static let notYetValid = Code("notYetValid")
        /// nextUpdate has passed (beyond the allowed clock skew), or the response is too old.
        public static let expired = Code("expired")
        /// The response's times are inconsistent (nextUpdate before thisUpdate, producedAt
        /// outside the certificate's validity).
        public static let invalidTimes = Code("invalidTimes")
        /// The nonce in the response does not match the one sent (RFC 8954).
        public static let nonceMismatch = Code("nonceMismatch")
        /// The response carries a critical extension this client does not understand.
        public static let unhandledCriticalExtension = Code("unhandledCriticalExtension")
    }
}
