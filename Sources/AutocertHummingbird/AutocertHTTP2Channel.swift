import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP2
import NIOHTTPTypes
import NIOHTTPTypesHTTP2

/// The HTTP/2 side of ``AutocertHTTPChannel`` (RFC 9113): NIOHTTP2's connection handler, one
/// child channel per stream that turns frames into Hummingbird's request and response parts,
/// and an ``HTTP2ConnectionManager`` for the idle timeout and graceful shutdown (GOAWAY).
///
/// Hummingbird's own `HTTP2Channel` does the same but comes with NIOSSL; this one leaves TLS
/// to the handler before it.
public struct AutocertHTTP2Channel: Sendable {
    /// How an HTTP/2 connection is kept and ended.
    public struct Configuration: Sendable {
        /// How long a connection with no open stream is kept; then GOAWAY and close. Nil: kept.
        public var idleTimeout: TimeAmount?
        /// How long streams may go on after a graceful shutdown's GOAWAY; then the connection
        /// is closed. Nil: until they end.
        public var gracefulCloseTimeout: TimeAmount?
        /// NIOHTTP2's settings (concurrent streams, window sizes, header list size).
        public var http2: NIOHTTP2Handler.Configuration

        public init(idleTimeout: TimeAmount? = .seconds(60), gracefulCloseTimeout: TimeAmount? = .seconds(10),
                    http2: NIOHTTP2Handler.Configuration = .init()) {
            self.idleTimeout = idleTimeout
            self.gracefulCloseTimeout = gracefulCloseTimeout
            self.http2 = http2
        }
    }

    typealias Stream = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    public struct Value: Sendable {
        let streams: NIOHTTP2Handler.AsyncStreamMultiplexer<Stream>
    }

    /// Serves each stream's one request (RFC 9113 §8.1) as Hummingbird serves an HTTP/1.1 one.
    private let streamChannel: HTTP1Channel
    private let streamConfiguration: HTTP1Channel.Configuration
    private let configuration: Configuration

    init(responder: @escaping HTTPChannelHandler.Responder, streamConfiguration: HTTP1Channel.Configuration,
         configuration: Configuration) {
        self.streamChannel = HTTP1Channel(responder: responder, configuration: streamConfiguration)
        self.streamConfiguration = streamConfiguration
        self.configuration = configuration
    }

    /// Adds the HTTP/2 handlers after the TLS handler (on the channel's event loop).
    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let streamConfiguration = self.streamConfiguration
        return channel.eventLoop.makeCompletedFuture {
            let manager = HTTP2ConnectionManager(
                idleTimeout: configuration.idleTimeout, gracefulCloseTimeout: configuration.gracefulCloseTimeout)
            let streams = try channel.pipeline.syncOperations.configureAsyncHTTP2Pipeline(
                mode: .server, streamDelegate: manager.streamDelegate(on: channel.eventLoop), configuration: configuration.http2
            ) { stream in
                stream.eventLoop.makeCompletedFuture {
                    try stream.pipeline.syncOperations.addHandler(HTTP2FramePayloadToHTTPServerCodec())
                    try stream.pipeline.syncOperations.addHandlers(streamConfiguration.additionalChannelHandlers())
                    try stream.pipeline.syncOperations.addHandler(
                        HTTPConnectionStateHandler(idleTimeout: streamConfiguration.idleTimeout.map { Duration($0) }, logger: logger))
                    return try Stream(wrappingChannelSynchronously: stream)
                }
            }
            try channel.pipeline.syncOperations.addHandler(manager)
            return Value(streams: streams)
        }
    }

    /// Serves every stream of the connection until it closes.
    func handle(value: Value, logger: Logger) async {
        do {
            try await withThrowingDiscardingTaskGroup { group in
                for try await stream in value.streams.inbound {
                    group.addTask { await streamChannel.handle(value: stream, logger: logger) }
                }
            }
        } catch {
            logger.debug("HTTP/2 connection ended", metadata: ["error": "\(error)"])
        }
    }
}
