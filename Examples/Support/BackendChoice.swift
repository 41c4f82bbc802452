import ArgumentParser
import AutocertGnuTLS
import AutocertOpenSSL
import AutocertTLS

/// The `--backend` values.
public enum BackendChoice: String, ExpressibleByArgument, CaseIterable {
    case openssl
    case gnutls

    public func make(_ configuration: TLSServerConfiguration) throws -> any TLSBackend {
        switch self {
        case .openssl: OpenSSLBackend(configuration: configuration)
        case .gnutls: try GnuTLSBackend(configuration: configuration)
        }
    }
}
