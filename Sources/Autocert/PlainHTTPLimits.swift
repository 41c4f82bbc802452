import NIOCore

/// How long a connection to the plain-HTTP listener (http-01 answers and redirects) may hold
/// the server: a port-80 listener faces the whole Internet and must not keep connections
/// that send nothing, trickle a request head, or stall once answered.
///
/// Enforced on the connections of ``Manager/plainHTTPChannelInitializer(httpsPort:limits:)``.
public struct PlainHTTPLimits: Sendable, Hashable {
    /// How long a whole request head may take: from the connection's start for its first
    /// request, and from the end of each keep-alive response for the next. A connection
    /// that has not sent a whole head by then is closed (RFC 9112 §9.3 lets a server close
    /// an idle persistent connection at any time).
    public var requestHeadTimeout: TimeAmount
    /// How long a connection may read and write nothing while a request is in progress
    /// (its body arriving, its answer being written).
    public var idleTimeout: TimeAmount

    /// - Parameters:
    ///   - requestHeadTimeout: default 10 s (the HTTPS side's header timeout in the examples).
    ///   - idleTimeout: default 30 s.
    public init(requestHeadTimeout: TimeAmount = .seconds(10), idleTimeout: TimeAmount = .seconds(30)) {
        self.requestHeadTimeout = requestHeadTimeout
        self.idleTimeout = idleTimeout
    }
}

extension Manager {
    /// The child channel initializer of the plain-HTTP listener: it gives each accepted
    /// connection NIO's HTTP/1.1 server handlers, the deadlines of `limits`, and an
    /// ``HTTP01ChallengeHandler`` answering from this Manager with redirects to `httpsPort`.
    ///
    /// ```swift
    /// ServerBootstrap(group: group).childChannelInitializer(manager.plainHTTPChannelInitializer())
    /// ```
    ///
    /// Call it once, when setting up the listener: like ``http01HandlerFactory(httpsPort:)``,
    /// it lets the ACME side choose http-01 from then on.
    public func plainHTTPChannelInitializer(httpsPort: Int = 443, limits: PlainHTTPLimits = PlainHTTPLimits())
        -> @Sendable (any Channel) -> EventLoopFuture<Void> {
        let makeHandler = http01HandlerFactory(httpsPort: httpsPort)
        let logger = self.logger
        return { channel in
            channel.eventLoop.makeCompletedFuture {
                let operations = channel.pipeline.syncOperations
                try operations.configureHTTPServerPipeline()
                try operations.addHandler(RequestDeadlineHandler(limits: limits, logger: logger))
                try operations.addHandler(makeHandler())
            }
        }
    }
}
