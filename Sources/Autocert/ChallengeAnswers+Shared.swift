import AutocertACME
import AutocertStorage
import AutocertTLS
import Foundation
import Synchronization

/// Challenge answers in a cluster: the instance that orders writes each answer to the shared
/// storage too, so that whichever instance the CA's validation reaches can answer it.
///
/// Other instances load an answer into memory as its change notification arrives
/// (``AutocertStorage/ObservableStorage``); a validation that comes before it is answered by
/// reading storage (tls-alpn-01 only for names the host policy allows, http-01 at most
/// ``storedLookupsPerSecond`` times a second, so scanners cannot turn into queries).
extension ChallengeAnswers {
    /// What every stored answer's name starts with.
    static let storagePrefix = "challenge+"

    static func storageName(tlsALPN01 serverName: String) -> String { storagePrefix + "tls-alpn-01+" + serverName }
    static func storageName(http01 token: String) -> String { storagePrefix + "http-01+" + token }

    /// Offers the tls-alpn-01 certificate here and, in a cluster, in storage (RFC 8737 §3;
    /// for an IP address under its reverse-DNS name, RFC 8738 §6).
    func publish(_ certificate: TLSALPNChallengeCertificate) async throws {
        let key = try CertifiedKey(certificateChain: [certificate.certificateDER], privateKey: Array(certificate.privateKey.derRepresentation))
        setTLSALPN01(key, for: certificate.serverName)
        try await shared?.put(Self.storageName(tlsALPN01: certificate.serverName), Array((certificate.certificatePEM + "\n" + certificate.privateKeyPEM + "\n").utf8))
    }

    /// Offers the http-01 answer here and, in a cluster, in storage (RFC 8555 §8.3).
    func publishHTTP01(token: String, keyAuthorization: String) async throws {
        setHTTP01(token: token, keyAuthorization: keyAuthorization)
        try await shared?.put(Self.storageName(http01: token), Array(keyAuthorization.utf8))
    }

    /// Withdraws the tls-alpn-01 certificate here and from storage.
    func withdrawTLSALPN01(serverName: String) async {
        removeTLSALPN01(for: serverName)
        try? await shared?.delete(Self.storageName(tlsALPN01: serverName))
    }

    /// Withdraws the http-01 answer here and from storage.
    func withdrawHTTP01(token: String) async {
        removeHTTP01(token: token)
        try? await shared?.delete(Self.storageName(http01: token))
    }

    /// The tls-alpn-01 certificate for `serverName` another instance stored, or nil.
    func storedTLSALPN01Certificate(for serverName: String) async -> CertifiedKey? {
        guard let shared, let bytes = try? await shared.get(Self.storageName(tlsALPN01: serverName)) else { return nil }
        let pem = String(decoding: bytes, as: UTF8.self)
        guard let key = try? CertifiedKey(chainPEM: pem, privateKeyPEM: pem) else { return nil }
        setTLSALPN01(key, for: serverName)
        return key
    }

    /// The http-01 answer for `token` another instance stored, or nil; nil too when the
    /// lookups of this instance are over their rate.
    func storedHTTP01KeyAuthorization(token: String) async -> String? {
        guard let shared, Self.isToken(token), storedLookups.take(),
              let bytes = try? await shared.get(Self.storageName(http01: token)) else { return nil }
        let answer = String(decoding: bytes, as: UTF8.self)
        setHTTP01(token: token, keyAuthorization: answer)
        return answer
    }

    /// Brings the answer stored under `name` (a change notification) into memory, or drops it
    /// when it was withdrawn.
    func applyStoredChange(_ name: String) async {
        guard let shared, name.hasPrefix(Self.storagePrefix) else { return }
        let rest = name.dropFirst(Self.storagePrefix.count)
        let bytes = try? await shared.get(name)
        if rest.hasPrefix("tls-alpn-01+") {
            let serverName = String(rest.dropFirst("tls-alpn-01+".count))
            guard let bytes else { return removeTLSALPN01(for: serverName) }
            let pem = String(decoding: bytes, as: UTF8.self)
            if let key = try? CertifiedKey(chainPEM: pem, privateKeyPEM: pem) { setTLSALPN01(key, for: serverName) }
        } else if rest.hasPrefix("http-01+") {
            let token = String(rest.dropFirst("http-01+".count))
            if let bytes { setHTTP01(token: token, keyAuthorization: String(decoding: bytes, as: UTF8.self)) } else { removeHTTP01(token: token) }
        }
    }

    /// Whether `token` can be an ACME token: base64url, 22 to 128 characters (RFC 8555 §8.1:
    /// at least 128 bits of entropy).
    static func isToken(_ token: String) -> Bool {
        (22...128).contains(token.utf8.count) && token.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"): true
            default: false
            }
        }
    }

    /// How many http-01 answers an instance looks up in storage each second at most.
    static let storedLookupsPerSecond = 20
}

/// A token bucket: at most `rate` takes a second, refilled continuously.
final class RateLimiter: Sendable {
    private let state: Mutex<(tokens: Double, last: ContinuousClock.Instant)>
    private let rate: Double

    init(perSecond rate: Int) {
        self.rate = Double(rate)
        state = Mutex((Double(rate), ContinuousClock.now))
    }

    func take() -> Bool {
        let now = ContinuousClock.now
        return state.withLock { state in
            let elapsed = state.last.duration(to: now)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            state.tokens = min(rate, state.tokens + seconds * rate)
            state.last = now
            guard state.tokens >= 1 else { return false }
            state.tokens -= 1
            return true
        }
    }
}
