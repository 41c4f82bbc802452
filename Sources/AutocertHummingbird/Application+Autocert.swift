import Autocert
import Hummingbird

extension Application {
    /// Runs `manager` with the application: its renewals and staple refreshes, and orders
    /// started by handshakes, in the application's ServiceLifecycle `ServiceGroup` (so graceful
    /// shutdown stops the server first, then the Manager); its configuration checked against
    /// the CA before the server starts (an unknown profile stops the start, naming the offered
    /// ones); and, unless `httpPort` is nil, an ``HTTP01Service`` on `httpPort` for http-01
    /// answers and redirects to `httpsPort`, whose connections are held to `httpLimits`.
    ///
    /// ```swift
    /// var app = Application(router: router, server: .autocert(backend: OpenSSLBackend(), selector: manager),
    ///                       configuration: .init(address: .hostname("0.0.0.0", port: 443)))
    /// app.addAutocert(manager)
    /// try await app.runService()
    /// ```
    public mutating func addAutocert(_ manager: Manager, httpHost: String = "0.0.0.0", httpPort: Int? = 80, httpsPort: Int = 443,
                                      httpLimits: PlainHTTPLimits = PlainHTTPLimits()) {
        addServices(manager)
        if let httpPort {
            addServices(HTTP01Service(manager: manager, host: httpHost, port: httpPort, httpsPort: httpsPort,
                                      limits: httpLimits, eventLoopGroup: eventLoopGroup, logger: logger))
        }
        beforeServerStarts { try await manager.checkConfiguration() }
    }
}
