import AutocertStorage
import AutocertTLS
import Synchronization

/// The ACME challenge answers currently offered, shared by the CA side (which puts them in
/// place) and the serving side (the TLS selector and the HTTP handler that read them).
///
/// tls-alpn-01 (RFC 8737 §3): a self-signed certificate per name, served to `acme-tls/1`
/// handshakes. http-01 (RFC 8555 §8.3): a key authorization per token, served at
/// `/.well-known/acme-challenge/TOKEN`. Reads are a locked dictionary lookup.
public final class ChallengeAnswers: Sendable {
    private struct State {
        var tlsALPN: [String: CertifiedKey] = [:]
        var http: [String: String] = [:]
        var httpServed = false
    }

    private let state = Mutex(State())
    /// The storage answers are shared through in a cluster (see `ChallengeAnswers+Shared`).
    let shared: (any BlobStorage)?
    /// Bounds the http-01 lookups in ``shared``.
    let storedLookups = RateLimiter(perSecond: ChallengeAnswers.storedLookupsPerSecond)

    public init() { shared = nil }

    /// Answers kept in memory and, when `storage` is given, shared through it with every
    /// instance of a cluster.
    init(sharing storage: (any BlobStorage)?) { shared = storage }

    /// Offers `key` as the tls-alpn-01 certificate for `name` (nil withdraws it).
    public func setTLSALPN01(_ key: CertifiedKey?, for name: String) {
        guard let name = ClientHello.normalisedServerName(name) else { return }
        state.withLock { $0.tlsALPN[name] = key }
    }

    /// Withdraws the tls-alpn-01 certificate for `name`.
    public func removeTLSALPN01(for name: String) {
        guard let name = ClientHello.normalisedServerName(name) else { return }
        state.withLock { _ = $0.tlsALPN.removeValue(forKey: name) }
    }

    /// The tls-alpn-01 certificate for `name`, if a challenge is in progress.
    public func tlsALPN01Certificate(for name: String) -> CertifiedKey? {
        state.withLock { $0.tlsALPN[name] }
    }

    /// Offers `keyAuthorization` as the http-01 answer for `token`.
    public func setHTTP01(token: String, keyAuthorization: String) {
        state.withLock { $0.http[token] = keyAuthorization }
    }

    /// Withdraws the http-01 answer for `token`.
    public func removeHTTP01(token: String) {
        state.withLock { _ = $0.http.removeValue(forKey: token) }
    }

    /// The http-01 answer for `token`, if any.
    public func http01KeyAuthorization(token: String) -> String? {
        state.withLock { $0.http[token] }
    }

    /// Whether an HTTP handler serves http-01 answers (then the CA side may choose http-01).
    public var servesHTTP01: Bool { state.withLock { $0.httpServed } }

    /// Records that an HTTP handler serves the http-01 answers.
    func markHTTP01Served() {
        state.withLock { $0.httpServed = true }
    }
}
