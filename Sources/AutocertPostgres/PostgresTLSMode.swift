import AutocertStorage
import PostgresNIO

/// Whether a ``PostgresStorage`` speaks TLS to PostgreSQL.
///
/// With TLS the server's certificate is verified against the system's trusted roots and the
/// URL's host name; PostgreSQL must be set up with `ssl = on` and such a certificate.
public struct PostgresTLSMode: Sendable, Hashable, CustomStringConvertible {
    private enum Mode: String, Sendable, Hashable {
        case require, prefer, disable, requireUnlessLoopback
    }

    private let mode: Mode

    /// TLS always: a server without TLS, or with a certificate that does not verify, is refused.
    public static let require = PostgresTLSMode(mode: .require)
    /// TLS when the server offers it (its certificate then verified), plain TCP when it does not.
    public static let prefer = PostgresTLSMode(mode: .prefer)
    /// Plain TCP: for a server on this machine or on a network you trust.
    public static let disable = PostgresTLSMode(mode: .disable)
    /// The default: plain TCP to 127.0.0.0/8, ::1 or localhost, where TLS adds nothing, and
    /// ``require`` to any other host (stored values include private keys).
    public static let requireUnlessLoopback = PostgresTLSMode(mode: .requireUnlessLoopback)

    public var description: String { mode.rawValue }

    /// This mode for `location`, as PostgresNIO's pool and connection settings.
    func resolved(for location: PostgresLocation) throws(StorageError) -> (pool: PostgresClient.Configuration.TLS, connection: PostgresConnection.Configuration.TLS) {
        let mode = self.mode == .requireUnlessLoopback ? (location.isLoopback ? Mode.disable : .require) : self.mode
        if mode == .disable { return (.disable, .disable) }
        let configuration = TLSConfiguration.makeClientConfiguration()
        let context: NIOSSLContext
        do {
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw StorageError(.unavailable, "could not set up TLS for \(location) (\(error)); check the system's trusted certificates, or pass tls: .disable for a server on a trusted network")
        }
        return mode == .require
            ? (.require(configuration), .require(context))
            : (.prefer(configuration), .prefer(context))
    }
}
