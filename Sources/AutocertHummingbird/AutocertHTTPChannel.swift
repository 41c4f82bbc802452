import Autocert
import AutocertTLS
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP2
import NIOHTTPTypes
import NIOTLS

/// A Hummingbird server child channel that terminates TLS with an Autocert ``AutocertTLS/TLSBackend``
/// (OpenSSL or GnuTLS) and then serves HTTP/1.1 or HTTP/2, as ALPN chose (RFC 7301 §3.2,
/// RFC 9113 §3.2).
///
/// The equivalent of Hummingbird's `HTTP2UpgradeChannel` without NIOSSL: the backend's TLS
/// handler comes first in the pipeline, then NIO's `NIOTypedApplicationProtocolNegotiationHandler`,
/// which waits for the handler's `TLSUserEvent.handshakeCompleted` and installs Hummingbird's
/// ``HummingbirdCore/HTTP1Channel`` pipeline for `http/1.1` (or no ALPN) and an HTTP/2 pipeline
/// (``AutocertHTTP2Channel``) for `h2`. A tls-alpn-01 validation (`acme-tls/1`, RFC 8737 §3)
/// ends after its handshake. Make one with ``HummingbirdCore/HTTPServerBuilder/autocert(backend:selector:configuration:)``.
public struct AutocertHTTPChannel: HTTPChannelHandler {
    /// How the HTTP/1.1 and HTTP/2 sides behave.
    public struct Configuration: Sendable {
        /// HTTP/1.1 connections, and each HTTP/2 stream (additional handlers, idle timeout).
        public var http1: HTTP1Channel.Configuration
        /// HTTP/2 connections: idle timeout and graceful close.
        public var http2: AutocertHTTP2Channel.Configuration
        /// How long an HTTP/1.1 connection may take to send a whole request head: from the end
        /// of its handshake for the first request, from the end of each response for the next.
        /// Then it is closed. Nil: no such limit (Hummingbird's default); `http1.idleTimeout`
        /// (time without a request part read or a response part written) still applies.
        public var requestHeadTimeout: TimeAmount?

        public init(http1: HTTP1Channel.Configuration = .init(), http2: AutocertHTTP2Channel.Configuration = .init(),
                    requestHeadTimeout: TimeAmount? = nil) {
            self.http1 = http1
            self.http2 = http2
            self.requestHeadTimeout = requestHeadTimeout
        }
    }

    /// The connection once ALPN has chosen its protocol.
    enum Negotiated: Sendable {
        case http1(HTTP1Channel.Value)
        case http2(AutocertHTTP2Channel.Value)
        /// `acme-tls/1` or a protocol this channel does not speak: closed after the handshake.
        case closed
    }

    public struct Value: ServerChildChannelValue {
        let negotiated: EventLoopFuture<Negotiated>
        public let channel: any Channel
    }

    /// The ALPN protocols this channel serves, most preferred first: give them to the backend's
    /// ``AutocertTLS/TLSServerConfiguration/applicationProtocols`` (its default).
    public static let applicationProtocols = ["h2", "http/1.1"]

    private let backend: any TLSBackend
    private let selector: any CertificateSelector
    private let http1: HTTP1Channel
    private let http2: AutocertHTTP2Channel
    public var responder: Responder { http1.responder }

    /// - Parameters:
    ///   - backend: the TLS library (`OpenSSLBackend()`, `GnuTLSBackend()`); its
    ///     ``AutocertTLS/TLSServerConfiguration/applicationProtocols`` should list `h2` and `http/1.1`.
    ///   - selector: picks the certificate per handshake: an Autocert `Manager`, or a
    ///     ``AutocertTLS/StaticCertificateSelector`` for certificates you bring.
    public init(backend: any TLSBackend, selector: any CertificateSelector, configuration: Configuration = .init(),
                responder: @escaping Responder) {
        self.backend = backend
        self.selector = selector
        self.http1 = HTTP1Channel(responder: responder, configuration: configuration.http1WithDeadlines)
        self.http2 = AutocertHTTP2Channel(responder: responder, streamConfiguration: configuration.http1,
                                          configuration: configuration.http2)
    }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let http1 = self.http1, http2 = self.http2
        return channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(backend.makeServerHandler(selector: selector, logger: logger))
            let negotiation = NIOTypedApplicationProtocolNegotiationHandler<Negotiated> { result, channel in
                switch result {
                case .negotiated("h2"):
                    return http2.setup(channel: channel, logger: logger).map { .http2($0) }
                case .negotiated("http/1.1"), .fallback:
                    return http1.setup(channel: channel, logger: logger).map { .http1($0) }
                case .negotiated:  // acme-tls/1: the validation is over once the handshake is
                    return channel.close().map { .closed }
                }
            }
            try channel.pipeline.syncOperations.addHandler(negotiation)
            return Value(negotiated: negotiation.protocolNegotiationResult, channel: channel)
        }
    }

    public func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.negotiated.get() {
            case .http1(let connection): await http1.handle(value: connection, logger: logger)
            case .http2(let connection): await http2.handle(value: connection, logger: logger)
            case .closed: break
            }
        } catch {
            logger.debug("connection ended before its protocol was negotiated", metadata: ["error": "\(error)"])
        }
    }
}

extension AutocertHTTPChannel.Configuration {
    /// ``http1`` with a ``Autocert/RequestDeadlineHandler`` before its own additional handlers
    /// when ``requestHeadTimeout`` is set (HTTP/1.1 connections only: an HTTP/2 stream's head
    /// is its first frame).
    var http1WithDeadlines: HTTP1Channel.Configuration {
        guard let requestHeadTimeout else { return http1 }
        var configuration = http1
        let additional = http1.additionalChannelHandlers
        let logger = Logger(label: "autocert.hummingbird")
        configuration.additionalChannelHandlers = {
            let deadlines = RequestDeadlineHandler<HTTPRequestPart, HTTPResponsePart>(
                requestHeadTimeout: requestHeadTimeout, idleTimeout: nil, logger: logger,
                // Always awaited again after a response: a connection that closes instead cancels the timer.
                headKeepAlive: { part in if case .head = part { true } else { nil } },
                endsResponse: { part in if case .end = part { true } else { false } })
            return [deadlines] + additional()
        }
        return configuration
    }
}

extension HTTPServerBuilder {
    /// HTTPS with certificates chosen per handshake by `selector` over an Autocert TLS backend,
    /// HTTP/1.1 and HTTP/2 by ALPN: give it to Hummingbird's `Application(router:server:)`.
    ///
    /// ```swift
    /// let app = Application(router: router, server: .autocert(backend: OpenSSLBackend(), selector: manager))
    /// ```
    public static func autocert(
        backend: any TLSBackend, selector: any CertificateSelector,
        configuration: AutocertHTTPChannel.Configuration = .init()
    ) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            AutocertHTTPChannel(backend: backend, selector: selector, configuration: configuration, responder: responder)
        }
    }
}
