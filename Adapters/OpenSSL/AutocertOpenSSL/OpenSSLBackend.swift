import AutocertTLS
internal import CAutocertOpenSSL
import Logging
import NIOCore

/// The OpenSSL (libssl 3) ``TLSBackend``: TLS 1.2 and 1.3 over memory BIOs, the certificate
/// chosen per connection, the staple sent only to clients that ask (RFC 6066 §8).
public struct OpenSSLBackend: TLSBackend {
    public let configuration: TLSServerConfiguration
    private let contexts: OpenSSLContextCache

    public init(configuration: TLSServerConfiguration = TLSServerConfiguration()) {
        self.configuration = configuration
        self.contexts = OpenSSLContextCache(configuration: configuration)
    }

    public var name: String { "openssl" }

    public var libraryVersion: String { String(cString: OpenSSL_version(OPENSSL_VERSION)) }

    public var supportsStapling: Bool { true }

    public func makeServerHandler(selector: any CertificateSelector, logger: Logger) -> any ChannelHandler {
        let contexts = self.contexts
        return TLSServerHandler(
            backendName: name, selector: selector, configuration: configuration, logger: logger
        ) { key, hello, _ in
            let context = try contexts.context(for: key)
            return try OpenSSLConnection(context: context, stapling: hello.requestsOCSPStaple)
        }
    }
}
