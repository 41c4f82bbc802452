import ArgumentParser
import Autocert
import AutocertTLS
import ExampleSupport
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// `autocert-server`: an HTTPS server over a chosen TLS backend.
@main
struct AutocertServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "autocert-server",
        abstract: "Serve HTTPS over the OpenSSL or GnuTLS backend, with OCSP stapling.",
        discussion: """
            Certificates you bring: give --cert and --key once per certificate, each pair \
            optionally followed by --staple with a DER OCSP response for that certificate. \
            Each certificate serves the DNS names in its subjectAltName (SNI picks it); the \
            first pair is the default for clients that send no name or an unknown one. The \
            staple is sent only to clients that ask for it (status_request, RFC 6066 §8).

            Example:
              autocert-server --backend openssl --https-port 8443 \\
                --cert a.pem --key a.key --staple a.ocsp.der \\
                --cert b.pem --key b.key

            Each connection must finish its handshake within --handshake-timeout; anything \
            that is not TLS is closed with one log line. After the handshake, a connection that \
            reads and writes nothing for --idle-timeout is closed, and a request head must be \
            complete within --header-timeout of its first byte (on a keep-alive connection, of \
            the end of the response before it), else it is closed (after a 408 when part of a \
            head came). At --max-connections open connections the server stops accepting (new \
            ones wait in the listen backlog) until one closes, with a warning at most every 10 s.
            The plain-HTTP port (--http-port: http-01 answers and redirects) counts in the same \
            cap; there a request head must be complete within --header-timeout of the \
            connection's start or of the previous response, and a request in progress may read \
            and write nothing for --idle-timeout.

            With --storage DIR, the certificates you bring without --staple are stapled \
            automatically: fetched from each certificate's OCSP URL (or --ocsp-responder), \
            verified, refreshed in the background and kept in DIR across restarts.

            Automatic certificates: --domain NAME (repeatable; also the host policy; an IP \
            address gets an IP certificate, RFC 8738), --directory, --ca-roots, --email, \
            --accept-tos, --profile, --storage, --http-port, --no-staple-ocsp, --must-staple. \
            Certificates without OCSP (Let's Encrypt's since 2025) are served without a \
            staple, as normal; --must-staple is never asked of a CA that issues without OCSP.
            """
    )

    @Option(help: "The TLS library: openssl or gnutls.")
    var backend: BackendChoice = .openssl

    @Option(help: "The address to listen on.")
    var host: String = "127.0.0.1"

    @Option(name: .customLong("https-port"), help: "The TLS port to listen on (0 picks a free one).")
    var httpsPort: Int = 8443

    @OptionGroup(title: "Certificates you bring")
    var certificates: CertificateOptions

    @Option(help: ArgumentHelp("ALPN protocols to offer, most preferred first, comma-separated.", valueName: "LIST"))
    var alpn: String = "h2,http/1.1"

    @OptionGroup(title: "Connection limits")
    var limits: ConnectionLimitOptions

    @Option(help: "Event loop threads (default: one per core).")
    var threads: Int = System.coreCount

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel: Logger.Level = .info

    @OptionGroup(title: "Automatic certificates (ACME)")
    var automatic: AutomaticOptions

    @OptionGroup(title: "Automatic stapling of the certificates you bring (with --storage)")
    var manualStapling: ManualStaplingOptions

    @OptionGroup(title: "Metrics and health")
    var observability: ObservabilityOptions

    func validate() throws {
        try certificates.validate(automatic: automatic)
        guard threads > 0 else { throw ValidationError("--threads must be positive") }
    }

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let logger = {
            var logger = Logger(label: "autocert-server")
            logger.logLevel = logLevel
            return logger
        }()
        let registry = observability.bootstrap()  // before anything makes its metrics
        let served = try await ServedCertificates.load(
            automatic: automatic, manualStapling: manualStapling, certificates: certificates, logger: logger)
        let manager = served.manager, stapler = served.stapler, selector = served.selector, health = served.health
        try await manager?.checkConfiguration()  // an unknown --profile stops here, before listening, naming the offered ones
        let configuration = TLSServerConfiguration(
            applicationProtocols: alpn.split(separator: ",").map(String.init),
            handshakeTimeout: limits.handshake
        )
        let tls = try backend.make(configuration)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let limiter = ConnectionLimiter(maximum: limits.connectionCap)
        let settings = HTTPConnectionSettings(
            banner: "hello from autocert-server over \(tls.name)\n",
            idleTimeout: limits.idle, headerTimeout: limits.header,
            limiter: limiter, logger: logger)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.tcpOption(.tcp_nodelay), value: 1) // accepted sockets inherit it
            .serverChannelOption(.maxMessagesPerRead, value: 1) // one accept per wakeup, as nginx (multi_accept off)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(AcceptLimitHandler(limiter: limiter, logger: logger))
                }
            }
            #if !os(Linux)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            #endif
            .childChannelInitializer { channel in
                do {
                    let handler = tls.makeServerHandler(selector: selector, logger: logger)
                    try channel.pipeline.syncOperations.addHandlers(handler, HTTPPipelineInstaller(settings: settings))
                    return channel.eventLoop.makeSucceededVoidFuture() // on the loop: a shared future, no allocation
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
            .bind(host: host, port: httpsPort).get()
        let port = channel.localAddress?.port ?? httpsPort
        logger.notice("listening", metadata: [
            "host": "\(host)", "https-port": "\(port)", "backend": "\(tls.name)",
            "library": "\(tls.libraryVersion)", "max-connections": "\(limiter.maximum)",
        ])
        let metrics = try await observability.start(registry: registry, group: group, logger: logger, health: health)
        let signals = ShutdownSignals.install { channel.close(promise: nil) }
        try await OpenedStorage.running(served.storage) {
            try await ManualStaplingOptions.running(stapler, logger: logger) {
                try await automatic.serving(manager, group: group, host: host, httpsPort: port,
                                            limits: limits.plainHTTP, limiter: limiter, logger: logger) {
                    try await channel.closeFuture.get()
                }
            }
        }
        await metrics?.stop()
        try await group.shutdownGracefully()
        signals.cancel()
        logger.notice("stopped")
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
