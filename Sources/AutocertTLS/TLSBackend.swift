import Logging
import NIOCore

/// A TLS library that terminates server-side TLS for certificates chosen per connection.
///
/// A backend knows nothing of ACME or OCSP: it is handed a ``CertificateSelector`` and
/// sends whatever ``CertifiedKey`` the selector picks; when the client asked for a staple
/// (RFC 6066 §8 status_request, RFC 8446 §4.4.2.1) it asks that key's ``StapleSource``
/// during the handshake and sends what it answers. It answers ALPN (RFC 7301) as
/// ``ALPNPolicy`` decides, including `acme-tls/1` (RFC 8737 §3). What it derives from a key
/// (a library context) is kept per certificate (``TLSServerConfiguration/certificateCacheCapacity``),
/// never per staple.
///
/// Selection may be asynchronous: the handler reads the ClientHello first, awaits the
/// selector without blocking the event loop, and only then starts the library's handshake.
public protocol TLSBackend: Sendable {
    /// A short name for logs and `--backend`: `openssl`, `gnutls`.
    var name: String { get }

    /// The library's name and version, for logs.
    var libraryVersion: String { get }

    /// Whether this backend can send an OCSP staple (RFC 6066 §8).
    var supportsStapling: Bool { get }

    /// A new server-side TLS handler for one connection. Call on the channel's event loop and
    /// add it first in the pipeline; decrypted bytes flow to the handlers after it.
    func makeServerHandler(selector: any CertificateSelector, logger: Logger) -> any ChannelHandler
}

/// What a server backend negotiates, the same for every backend.
public struct TLSServerConfiguration: Sendable {
    /// ALPN protocols the application speaks, most preferred first (RFC 7301 §3.2).
    /// `acme-tls/1` need not be listed: it is always answered for a client that offers it
    /// (RFC 8737 §3).
    public var applicationProtocols: [String]

    /// How long a connection may take from accept to a finished handshake.
    public var handshakeTimeout: TimeAmount

    /// The largest ClientHello accepted, in bytes; larger ones end the connection. Whatever
    /// its size, a ClientHello spread over more than 64 records ends it too.
    public var maximumClientHelloSize: Int

    /// Whether to send staples at all. Off, no backend asks a key's ``StapleSource``.
    public var staplingEnabled: Bool

    /// The most certificates whose library context (an SSL_CTX, a prepared GnuTLS key) is
    /// kept; beyond it the least recently used is dropped and prepared again when next
    /// needed. Each costs some tens of KiB.
    public var certificateCacheCapacity: Int

    /// The lowest version accepted. Only TLS 1.2 and TLS 1.3 exist here.
    public var minimumVersion: TLSVersion

    public init(
        applicationProtocols: [String] = ["h2", "http/1.1"],
        handshakeTimeout: TimeAmount = .seconds(10),
        maximumClientHelloSize: Int = 16 * 1024,
        staplingEnabled: Bool = true,
        certificateCacheCapacity: Int = 1024,
        minimumVersion: TLSVersion = .tls12
    ) {
        self.applicationProtocols = applicationProtocols
        self.handshakeTimeout = handshakeTimeout
        self.maximumClientHelloSize = maximumClientHelloSize
        self.staplingEnabled = staplingEnabled
        self.certificateCacheCapacity = certificateCacheCapacity
        self.minimumVersion = minimumVersion
    }
}

/// A TLS protocol version the backends can negotiate.
public enum TLSVersion: String, Sendable, Hashable, CaseIterable {
    case tls12 = "TLSv1.2"
    case tls13 = "TLSv1.3"
}

/// The user inbound event a backend's handler fires once its handshake completes.
public struct TLSHandshakeCompleted: Sendable, Hashable {
    /// The negotiated ALPN protocol, if any (RFC 7301 §3.2).
    public var applicationProtocol: String?
    /// The version negotiated, as the library names it (`TLSv1.3`).
    public var protocolVersion: String
    /// The server name the client asked for (RFC 6066 §3).
    public var serverName: String?
    /// Whether a staple was sent.
    public var stapled: Bool

    public init(applicationProtocol: String?, protocolVersion: String, serverName: String?, stapled: Bool) {
        self.applicationProtocol = applicationProtocol
        self.protocolVersion = protocolVersion
        self.serverName = serverName
        self.stapled = stapled
    }
}
