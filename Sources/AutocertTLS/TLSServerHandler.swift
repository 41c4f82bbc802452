import Logging
import NIOCore

/// The server-side TLS channel handler every backend uses: a state machine over a
/// ``TLSServerEngine``, with no C call of its own.
///
/// It reads the ClientHello (bounded), asks the ``CertificateSelector`` without blocking
/// the event loop, then creates the library's connection with the chosen key and feeds it
/// the bytes it held. It enforces the handshake timeout, ends bad input with one log line,
/// sends close_notify on close (RFC 8446 §6.1), and holds application writes until the
/// handshake is done. Back-pressure is the channel's: `read()` and writability pass through.
///
/// Application writes are held until the flush and then encrypted together, in records as
/// full as RFC 8446 §5.1 allows (2^14 bytes): a response written as head, body and end goes
/// out as one record and one write to the channel. A write that fills a record has that
/// record encrypted and written (not flushed) at once, so no more than one record's
/// plaintext ever waits here and the channel's writability still counts what is pending.
///
/// It follows SwiftNIO's TLS conventions (those of NIOSSL's handler), so that NIO's
/// `ApplicationProtocolNegotiationHandler`, NIOHTTP2 and frameworks built on them work behind
/// either backend unchanged: a finished handshake fires `TLSUserEvent.handshakeCompleted`
/// (with the ALPN protocol, RFC 7301 §3.2) besides our own ``TLSHandshakeCompleted``; a
/// clean shutdown (close_notify, RFC 8446 §6.1) fires `TLSUserEvent.shutdownCompleted`; and
/// the ``TLSBackendError`` that ends a connection, in its handshake or in a record, goes up
/// the pipeline with `fireErrorCaught` before the channel closes.
///
/// Not generic: one concrete class whatever the backend, so no generic metadata, no value
/// witnesses for its state and no unspecialised code on the per-connection path; the engine
/// is called through its protocol witness table.
package final class TLSServerHandler: ChannelDuplexHandler, RemovableChannelHandler {
    package typealias InboundIn = ByteBuffer
    package typealias InboundOut = ByteBuffer
    package typealias OutboundIn = ByteBuffer
    package typealias OutboundOut = ByteBuffer

    typealias Engine = any TLSServerEngine

    enum State {
        case awaitingHello(ByteBuffer?)
        case selecting(ByteBuffer, ClientHello)
        case handshaking(Engine, ClientHello)
        case established(Engine)
        case closing(Engine)
        case closed
    }

    var state: State = .awaitingHello(nil)
    /// Writes made before the handshake finished, replayed once it has.
    var pendingWrites: [(ByteBuffer, EventLoopPromise<Void>?)] = []
    var pendingFlush = false
    /// Plaintext written since the last flush and not yet encrypted: less than one record's
    /// worth; nil when there is none.
    var unflushedPlaintext: ByteBuffer?
    /// The promises of the writes whose bytes are not yet in a ciphertext write, oldest first.
    var unflushedPromises = WritePromises()
    var timeout: NIOScheduledCallback?
    var timerStarted = false
    var logger: Logger
    let backendName: String
    let selector: any CertificateSelector
    let configuration: TLSServerConfiguration
    var reader: ClientHelloReader
    let makeEngine: TLSEngineFactory
    let metrics: TLSHandshakeMetrics?

    package init(
        backendName: String,
        selector: any CertificateSelector,
        configuration: TLSServerConfiguration,
        logger: Logger,
        metrics: TLSHandshakeMetrics? = nil,
        makeEngine: @escaping TLSEngineFactory
    ) {
        self.backendName = backendName
        self.metrics = metrics
        self.selector = selector
        self.configuration = configuration
        self.logger = logger
        self.reader = ClientHelloReader(maximumSize: configuration.maximumClientHelloSize)
        self.makeEngine = makeEngine
    }

    // MARK: lifecycle

    package func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { startTimer(context: context) }
    }

    package func channelActive(context: ChannelHandlerContext) {
        startTimer(context: context)
        context.fireChannelActive()
    }

    package func channelInactive(context: ChannelHandlerContext) {
        cancelTimer(context: context)
        switch state {
        case .awaitingHello(let received?):
            endHandshake(reader.truncated(received), context: context)
        case .selecting, .handshaking:
            endHandshake(TLSBackendError(.unexpectedClose, "the client closed the connection during the handshake"), context: context)
        default:
            break
        }
        state = .closed
        failPendingWrites(ChannelError.ioOnClosedChannel)
        context.fireChannelInactive()
    }

    /// The client closed its side (a FIN while the channel allows half-closure, as Hummingbird's
    /// does). During the handshake nothing more can come, so the handshake has failed and the
    /// connection is closed at once instead of at the handshake timeout; a connection that
    /// sent nothing is closed without a word, as a port probe. Once established, the event
    /// goes on: whether a half-closed HTTP connection is still answered is the application's
    /// choice (NIOSSL's handler does the same).
    package func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let event = event as? ChannelEvent, event == .inputClosed else {
            return context.fireUserInboundEventTriggered(event)
        }
        switch state {
        case .awaitingHello(nil):
            cancelTimer(context: context)
            state = .closed
            context.close(promise: nil)
        case .awaitingHello(let received?):
            fail(reader.truncated(received), context: context)
        case .selecting, .handshaking:
            fail(TLSBackendError(.unexpectedClose, "the client closed its side of the connection during the handshake"), context: context)
        case .established, .closing, .closed:
            context.fireUserInboundEventTriggered(event)
        }
    }

    package func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimer(context: context)
        failPendingWrites(ChannelError.ioOnClosedChannel)
    }

    /// The handshake deadline: a scheduled callback, which costs no promise, future or closure.
    private struct HandshakeDeadline: NIOScheduledCallbackHandler {
        let handler: TLSServerHandler
        let context: ChannelHandlerContext

        func handleScheduledCallback(eventLoop: some EventLoop) {
            handler.timeout = nil
            handler.handshakeTimedOut(context: context)
        }
    }

    private func startTimer(context: ChannelHandlerContext) {
        guard !timerStarted else { return }
        timerStarted = true
        timeout = try? context.eventLoop.assumeIsolated().scheduleCallback(
            in: configuration.handshakeTimeout, handler: HandshakeDeadline(handler: self, context: context))
    }

    func cancelTimer(context: ChannelHandlerContext) {
        guard let timeout else { return }
        self.timeout = nil
        context.eventLoop.assumeIsolated().cancelScheduledCallback(timeout)
    }

    private func handshakeTimedOut(context: ChannelHandlerContext) {
        switch state {
        case .awaitingHello, .selecting, .handshaking:
            let limit = configuration.handshakeTimeout
            fail(TLSBackendError(.handshakeTimeout, "no finished handshake within \(limit.nanoseconds / 1_000_000) ms; closing"), context: context)
        default:
            break
        }
    }

    /// Logs why a connection ends, passes the error up (`fireErrorCaught`) and closes it: the
    /// one line bad input gets.
    func fail(_ error: TLSBackendError, context: ChannelHandlerContext) {
        cancelTimer(context: context)
        let wasHandshaking: Bool
        switch state {
        case .closed: return
        case .awaitingHello, .selecting, .handshaking: wasHandshaking = true
        case .established, .closing: wasHandshaking = false
        }
        state = .closed
        if wasHandshaking { metrics?.recordFailed(error.code) }
        report(error, context: context)
        failPendingWrites(error)
        context.fireErrorCaught(error)
        context.close(promise: nil)
    }

    /// A connection closed by the peer before its handshake finished: counted, logged and
    /// passed up, as ``fail(_:context:)`` does (the channel is already closing).
    private func endHandshake(_ error: TLSBackendError, context: ChannelHandlerContext) {
        metrics?.recordFailed(error.code)
        report(error, context: context)
        context.fireErrorCaught(error)
    }

    private func report(_ error: TLSBackendError, context: ChannelHandlerContext) {
        var metadata: Logger.Metadata = ["tls.backend": "\(backendName)", "tls.error": "\(error.code)"]
        if let peer = context.channel.remoteAddress { metadata["tls.peer"] = "\(peer)" }
        if !error.libraryErrors.isEmpty { metadata["tls.library_errors"] = "\(error.libraryErrors)" }
        logger.info("TLS connection ended: \(error.reason)", metadata: metadata)
    }

    func failPendingWrites(_ error: any Error) {
        let writes = pendingWrites
        pendingWrites = []
        for (_, promise) in writes { promise?.fail(error) }
        unflushedPlaintext = nil
        unflushedPromises.fail(error)
    }

    /// The largest plaintext a TLS record carries (RFC 8446 §5.1).
    static let maximumPlaintextRecord = 16_384
}
