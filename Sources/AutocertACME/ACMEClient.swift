import AutocertCurl
import AutocertHTTP
import Foundation
import Logging
import Synchronization

/// An ACME client (RFC 8555) for one CA directory: accounts, orders, challenges, finalize,
/// download, revocation. Reusable alone; safe to share between tasks.
///
/// Every request is a signed POST (RFC 8555 §6.2) carrying a fresh nonce. A `badNonce`
/// answer is the one failure retried, with a fresh nonce, at most
/// ``Configuration/maxNonceAttempts`` times (RFC 8555 §6.5); nothing else is retried blindly.
public final class ACMEClient: Sendable {
    /// Limits and policies of one client.
    public struct Configuration: Sendable, Hashable {
        /// How many times a request is sent with a fresh nonce before a `badNonce` is thrown.
        public var maxNonceAttempts: Int = 5
        /// The deadline of each HTTP exchange.
        public var requestTimeout: Duration = .seconds(30)
        /// The largest JSON answer accepted (directory, account, order, authorization).
        public var maxJSONBytes: Int = 1 << 20
        /// The largest certificate chain accepted.
        public var maxCertificateChainBytes: Int = 1 << 20
        /// How authorizations and orders are polled: Retry-After when the CA sends it, else a
        /// backoff from 50 ms to 4 s (``ACMEPolling``).
        public var polling = ACMEPolling()

        public init() {}
    }

    /// The directory URL this client speaks to.
    public let directoryURL: String
    public let configuration: Configuration
    let transport: any HTTPTransport
    let logger: Logger
    /// The clock polling waits on: the system's, or in tests one that only pretends to sleep.
    let pollingClock: any ACMEPollingClock
    let nonces = ACMENonces()
    private let cachedDirectory = Mutex<ACMEDirectory?>(nil)
    private let counters = Mutex(Statistics())

    /// Counts of what the client did, for tests and monitoring.
    public struct Statistics: Sendable, Hashable {
        /// Requests resent with a fresh nonce after a `badNonce` answer.
        public var badNonceRetries = 0
        /// Signed POST requests sent (retries included).
        public var signedRequests = 0
    }

    /// A client for `directoryURL` that sends its requests through `transport`.
    public convenience init(directoryURL: String, transport: any HTTPTransport, configuration: Configuration = Configuration(), logger: Logger = Logger(label: "autocert.acme")) {
        self.init(directoryURL: directoryURL, transport: transport, configuration: configuration, logger: logger, pollingClock: SystemPollingClock())
    }

    /// A client whose polling waits on `pollingClock` (tests).
    init(directoryURL: String, transport: any HTTPTransport, configuration: Configuration, logger: Logger, pollingClock: any ACMEPollingClock) {
        self.directoryURL = directoryURL
        self.transport = transport
        self.configuration = configuration
        self.logger = logger
        self.pollingClock = pollingClock
    }

    /// A client on the default libcurl transport, trusting the system roots and, when given,
    /// the PEM roots in `trustedRootsPEMFile` (a test CA such as Pebble). TLS is always verified.
    public convenience init(directoryURL: String, trustedRootsPEMFile: String? = nil, configuration: Configuration = Configuration(), logger: Logger = Logger(label: "autocert.acme")) {
        self.init(directoryURL: directoryURL, transport: CurlTransport(configuration: .init(caBundlePath: trustedRootsPEMFile)),
                  configuration: configuration, logger: logger)
    }

    public var statistics: Statistics { counters.withLock { $0 } }

    /// The CA's directory, fetched once and then remembered (RFC 8555 §7.1.1).
    public func directory() async throws -> ACMEDirectory {
        if let directory = cachedDirectory.withLock({ $0 }) { return directory }
        let response = try await send(HTTPRequest(method: .get, url: directoryURL, headers: [HTTPHeader(name: "Accept", value: "application/json")]),
                                      maxBytes: configuration.maxJSONBytes, redirects: 2)
        if let error = ACMEResponse.error(in: response, url: directoryURL) {
            throw ACMEError(.notACME, "\(directoryURL) did not serve an ACME directory (HTTP \(response.status)); check the URL",
                            problem: error.problem, status: response.status, url: directoryURL)
        }
        let directory: ACMEDirectory
        do {
            directory = try ACMEResponse.decode(ACMEDirectory.self, from: response, url: directoryURL, what: "directory")
        } catch let error as ACMEError {
            throw ACMEError(.notACME, "\(directoryURL) is not an ACME directory: \(error.reason); check the URL",
                            status: response.status, url: directoryURL)
        }
        cachedDirectory.withLock { $0 = directory }
        return directory
    }

    // MARK: - Signed requests

    /// POSTs a JWS of `payload` (nil: POST-as-GET, RFC 8555 §6.3) to `url` and returns the
    /// successful answer; a problem document becomes an ``ACMEError``.
    func post(_ url: String, payload: [UInt8]?, key: ACMEAccountKey, signer: JWS.Signer, maxBytes: Int? = nil, accept: String? = nil) async throws -> HTTPResponse {
        var lastError: ACMEError?
        for attempt in 1...max(1, configuration.maxNonceAttempts) {
            let nonce = try await freshNonce()
            let body = try JWS.sign(payload: payload, url: url, nonce: nonce, key: key, signer: signer).encoded()
            var headers = [HTTPHeader(name: "Content-Type", value: "application/jose+json")]
            if let accept { headers.append(HTTPHeader(name: "Accept", value: accept)) }
            counters.withLock { $0.signedRequests += 1 }
            let response = try await send(HTTPRequest(method: .post, url: url, headers: headers, body: body),
                                          maxBytes: maxBytes ?? configuration.maxJSONBytes, redirects: 0)
            guard let error = ACMEResponse.error(in: response, url: url) else { return response }
            guard error.code == .badNonce else { throw error }
            counters.withLock { $0.badNonceRetries += 1 }
            logger.debug("badNonce from the CA; retrying with a fresh nonce", metadata: ["url": "\(url)", "attempt": "\(attempt)"])
            lastError = error
        }
        throw ACMEError(.badNonce, "the CA rejected \(configuration.maxNonceAttempts) fresh nonces in a row; check for a proxy replaying or caching requests",
                        problem: lastError?.problem, status: lastError?.status, url: url)
    }

    /// A nonce from the pool, or a new one from `newNonce` (RFC 8555 §7.2).
    ///
    /// The nonce of the `newNonce` answer goes straight to the caller, never through the
    /// shared pool, where a concurrent request could take it first.
    private func freshNonce() async throws -> String {
        if let nonce = await nonces.take() { return nonce }
        let url = try await directory().newNonce
        let response = try await send(HTTPRequest(method: .head, url: url), maxBytes: 4096, redirects: 0, poolsNonce: false)
        if let nonce = response.header("Replay-Nonce"), !nonce.isEmpty { return nonce }
        throw ACMEResponse.error(in: response, url: url)
            ?? ACMEError(.invalidResponse, "the CA's newNonce answer (HTTP \(response.status)) has no Replay-Nonce header; check that \(url) is the CA's newNonce URL and that no proxy strips the header",
                         status: response.status, url: url)
    }

    /// One HTTP exchange; maps transport failures and, unless `poolsNonce` is false, keeps
    /// the answer's `Replay-Nonce` in the pool for a later request (RFC 8555 §6.5).
    func send(_ request: HTTPRequest, maxBytes: Int, redirects: Int, poolsNonce: Bool = true) async throws -> HTTPResponse {
        let response: HTTPResponse
        do {
            response = try await transport.send(request, limits: HTTPLimits(timeout: configuration.requestTimeout, maxBodyBytes: maxBytes, maxRedirects: redirects))
        } catch let error as HTTPTransportError {
            throw ACMEError(.transport, "\(request.method.rawValue) \(request.url) failed: \(error.reason)", url: request.url)
        }
        if poolsNonce, let nonce = response.header("Replay-Nonce") { await nonces.add(nonce) }
        logger.trace("ACME exchange", metadata: ["method": "\(request.method.rawValue)", "url": "\(request.url)", "status": "\(response.status)"])
        return response
    }
}
