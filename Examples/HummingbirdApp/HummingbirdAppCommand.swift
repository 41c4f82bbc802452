import ArgumentParser
import Autocert
import AutocertHummingbird
import AutocertTLS
import ExampleSupport
import Hummingbird
import Logging

/// `autocert-hummingbird`: a Hummingbird 2 app served over HTTPS (HTTP/1.1 and HTTP/2) by an
/// Autocert TLS backend, with automatic certificates (`--domain`) or certificates you bring.
@main
struct HummingbirdAppCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "autocert-hummingbird",
        abstract: "A Hummingbird 2 app over HTTPS (h2 and http/1.1) with automatic certificates and OCSP stapling.",
        discussion: """
            Automatic certificates: --domain NAME (repeatable) with --directory, --ca-roots, --email, \
            --accept-tos, --storage; the plain-HTTP port (--http-port) answers http-01 and redirects \
            to HTTPS. Certificates you bring: --cert CHAIN.pem --key KEY.pem [--staple RESPONSE.der], \
            repeatable; with --storage they are stapled automatically. Routes: GET / says hello and \
            which protocol and backend served it; GET /health is the app's own liveness answer. \
            --metrics-port serves /metrics (Prometheus text) and /health (200 or 503) on a port of its own.

            Each connection must finish its handshake within --handshake-timeout. An HTTP/1.1 \
            connection must send a whole request head within --header-timeout of the handshake's \
            end or of the previous response, and is closed after --idle-timeout without a request \
            part read or a response part written (Hummingbird's idle timeout); an HTTP/2 \
            connection with no open stream is closed (GOAWAY) after --idle-timeout. At \
            --max-connections open HTTPS connections the server stops accepting until one \
            closes, with a warning at most every 10 s. The plain-HTTP port has the same header \
            and idle timeouts.
            """
    )

    @Option(help: "The TLS library: openssl or gnutls.")
    var backend: BackendChoice = .openssl

    @Option(help: "The address to listen on.")
    var host: String = "127.0.0.1"

    @Option(name: .customLong("https-port"), help: "The TLS port to listen on.")
    var httpsPort: Int = 8443

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel: Logger.Level = .info

    @OptionGroup(title: "Connection limits")
    var limits: ConnectionLimitOptions

    @OptionGroup(title: "Certificates you bring")
    var certificates: CertificateOptions

    @OptionGroup(title: "Automatic certificates (ACME)")
    var automatic: AutomaticOptions

    @OptionGroup(title: "Automatic stapling of the certificates you bring (with --storage)")
    var manualStapling: ManualStaplingOptions

    @OptionGroup(title: "Metrics and health")
    var observability: ObservabilityOptions

    func validate() throws {
        try certificates.validate(automatic: automatic)
    }

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let logger = {
            var logger = Logger(label: "autocert-hummingbird")
            logger.logLevel = logLevel
            return logger
        }()
        let registry = observability.bootstrap()  // before anything makes its metrics
        let tls = try backend.make(TLSServerConfiguration(
            applicationProtocols: AutocertHTTPChannel.applicationProtocols, handshakeTimeout: limits.handshake))

        let served = try await ServedCertificates.load(
            automatic: automatic, manualStapling: manualStapling, certificates: certificates, logger: logger)
        let manager = served.manager, stapler = served.stapler

        let connectionCap = limits.connectionCap  // reads the open-file limit
        let router = Router(context: AppRequestContext.self)
        router.get("/") { _, context -> String in
            "hello from autocert-hummingbird over \(tls.name), \(context.httpVersion)\n"
        }
        router.get("/health") { _, _ in "ok\n" }
        var app = Application(
            router: router,
            server: .autocert(backend: tls, selector: served.selector, configuration: .init(
                http1: .init(idleTimeout: limits.idle), http2: .init(idleTimeout: limits.idle), requestHeadTimeout: limits.header)),
            configuration: .init(
                address: .hostname(host, port: httpsPort), serverName: "autocert-hummingbird",
                availableConnectionsDelegate: LoggedConnectionCap(maximum: connectionCap, logger: logger)),
            logger: logger)
        if let storage = served.storage?.service { app.addServices(storage) }  // first: the others use it
        if let manager {
            app.addAutocert(manager, httpHost: host, httpPort: automatic.httpPort == 0 ? nil : automatic.httpPort, httpsPort: httpsPort,
                           httpLimits: limits.plainHTTP)
            let events = manager.subscribe()
            app.beforeServerStarts { Task { await AutomaticOptions.logEvents(events, logger: logger) } }
        }
        if let stapler { app.addServices(stapler) }
        let metrics = try await observability.start(registry: registry, group: app.eventLoopGroup, logger: logger, health: served.health)
        logger.notice("serving", metadata: [
            "https-port": "\(httpsPort)", "backend": "\(tls.name)", "library": "\(tls.libraryVersion)",
            "max-connections": "\(connectionCap)",
        ])
        try await app.runService()
        await metrics?.stop()
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
