import AutocertHTTP
import Foundation
import X509

/// Looks up the status of a certificate and returns a verified answer.
///
/// Speaks the lightweight profile of RFC 5019: one CertID (SHA-1 by default, §2.1.1), no
/// request signature, GET when the encoded request fits in 255 bytes and POST otherwise
/// (§5), every answer verified (RFC 6960 §3.2) before it is returned. Usable alone, with no
/// TLS or event loop involved.
public struct OCSPClient: Sendable {
    /// The limits and choices of every lookup, each with its default.
    public struct Configuration: Sendable, Hashable {
        /// The whole exchange must end within this time. Default 10 s.
        public var timeout: Duration
        /// A larger response body is refused. Default 64 KiB (real responses are 1–4 KiB).
        public var maxResponseBytes: Int
        /// Redirects followed before giving up. Default 2.
        public var maxRedirects: Int
        /// The CertID hash. Default SHA-1, the one RFC 5019 §2.1.1 makes universal.
        public var hashAlgorithm: OCSPHashAlgorithm
        /// Whether to send a random nonce (RFC 8954) and require it back. Default off:
        /// RFC 5019 responders serve pre-signed responses and ignore nonces.
        public var sendNonce: Bool
        /// Verification rules (clock skew 5 min, 7-day bound without nextUpdate).
        public var verification: OCSPVerificationPolicy

        public init(
            timeout: Duration = .seconds(10),
            maxResponseBytes: Int = 64 * 1024,
            maxRedirects: Int = 2,
            hashAlgorithm: OCSPHashAlgorithm = .sha1,
            sendNonce: Bool = false,
            verification: OCSPVerificationPolicy = OCSPVerificationPolicy()
        ) {
            self.timeout = timeout
            self.maxResponseBytes = maxResponseBytes
            self.maxRedirects = maxRedirects
            self.hashAlgorithm = hashAlgorithm
            self.sendNonce = sendNonce
            self.verification = verification
        }
    }

    public let configuration: Configuration
    let transport: any HTTPTransport

    /// A client that reaches responders through `transport`.
    ///
    /// There is no default transport, so that a program using only this module links no
    /// HTTP library: pass `.curl` (the shared `CurlTransport`, with `import AutocertCurl`)
    /// or an ``HTTPTransport`` of your own (see Examples/OCSPCustomTransport).
    public init(transport: any HTTPTransport, configuration: Configuration = Configuration()) {
        self.transport = transport
        self.configuration = configuration
    }

    /// Asks the responder for `subject`'s status and verifies the answer.
    ///
    /// - Parameters:
    ///   - responderURL: overrides the certificate's AIA responder (like Apache's
    ///     SSLStaplingForceURL); when nil, the first AIA id-ad-ocsp URL is used.
    ///   - now: the time to verify at (default: the current time).
    /// - Throws: ``OCSPError``; nothing unverified is ever returned.
    public func check(_ subject: OCSPSubject, responderURL: String? = nil, now: Date? = nil) async throws(OCSPError) -> OCSPAnswer {
        guard let url = responderURL ?? subject.responderURLs.first else {
            throw OCSPError(.noResponderURL, "'\(subject.certificate.subject)' names no OCSP responder (no AIA id-ad-ocsp URL); pass a responder URL")
        }
        let nonce = configuration.sendNonce ? (0..<16).map { _ in UInt8.random(in: 0...255) } : nil
        let request = subject.request(hash: configuration.hashAlgorithm, nonce: nonce)
        let requestDER: [UInt8]
        do { requestDER = try request.derBytes() } catch {
            throw OCSPError(.invalidCertificate, "the request could not be encoded (\(error))")
        }
        let response = try await exchange(requestDER, url: url)
        var policy = configuration.verification
        policy.now = now ?? policy.now
        policy.expectedNonce = nonce
        var answer = try OCSPVerifier(subject: subject).verify(
            response.body, certID: request.tbsRequest.requestList[0].certID, policy: policy)
        answer.responderURL = url
        answer.maxAge = Self.maxAge(response.header("Cache-Control"))
        return answer
    }
}
