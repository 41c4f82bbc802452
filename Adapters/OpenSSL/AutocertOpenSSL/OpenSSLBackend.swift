import AutocertTLS
internal import CAutocertOpenSSL
import Logging
import NIOCore

/// The OpenSSL (libssl 3) ``TLSBackend``: TLS 1.2 and 1.3 over a BIO on the connection's own
/// buffers, one SSL_CTX per certificate (kept by least-recent use), the staple asked of the
/// certificate's ``StapleSource`` only for clients that ask (RFC 6066 §8).
public struct OpenSSLBackend: TLSBackend {
    public let configuration: TLSServerConfiguration
    /// `autocert_tls_handshakes_total{backend="openssl"}`, made once from the bootstrapped metrics factory.
    private let handshakes = TLSHandshakeMetrics(backend: "openssl")
    /// The SSL_CTX of each certificate in use.
    private let contexts: CertificateContextCache<OpenSSLContext>

    public init(configuration: TLSServerConfiguration = TLSServerConfiguration()) {
        self.configuration = configuration
        self.contexts = CertificateContextCache(capacity: configuration.certificateCacheCapacity) { key in
            try OpenSSLContext(key: key, configuration: configuration)
        }
    }

    public var name: String { "openssl" }

    public var libraryVersion: String { String(cString: OpenSSL_version(OPENSSL_VERSION)) }

    public var supportsStapling: Bool { true }

    /// How many SSL_CTXs this backend has made, and how many it keeps now (for tests).
    package var contextStatistics: (prepared: Int, kept: Int) { (contexts.preparations, contexts.count) }

    public func makeServerHandler(selector: any CertificateSelector, logger: Logger) -> any ChannelHandler {
        let contexts = self.contexts  // the one capture: no closure context to allocate per connection
        return TLSServerHandler(
            backendName: name, selector: selector, configuration: configuration, logger: logger, metrics: handshakes
        ) { key, _, applicationProtocol in
            try OpenSSLConnection(context: contexts.context(for: key), applicationProtocol: applicationProtocol)
        }
    }
}
