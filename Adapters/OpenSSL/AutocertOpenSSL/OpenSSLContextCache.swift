import AutocertTLS
import Synchronization

/// The ``OpenSSLContext`` of each ``CertifiedKey`` in use, so that a warm handshake parses
/// nothing: the key's identity finds a ready SSL_CTX under a lock.
final class OpenSSLContextCache: Sendable {
    private let contexts = Mutex<[UInt64: OpenSSLContext]>([:])
    private let configuration: TLSServerConfiguration
    /// Beyond this many keys, the cache starts again (keys are replaced, not accumulated).
    private let limit = 1024

    init(configuration: TLSServerConfiguration) { self.configuration = configuration }

    func context(for key: CertifiedKey) throws -> OpenSSLContext {
        if let context = contexts.withLock({ $0[key.identity] }) { return context }
        let context = try OpenSSLContext(key: key, configuration: configuration)
        return contexts.withLock { contexts in
            if contexts.count >= limit { contexts.removeAll(keepingCapacity: true) }
            if let existing = contexts[key.identity] { return existing }
            contexts[key.identity] = context
            return context
        }
    }
}
