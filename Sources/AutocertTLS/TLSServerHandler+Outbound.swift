import NIOCore
import NIOTLS

// MARK: outbound: encryption, held writes, close_notify

extension TLSServerHandler {
    package func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let plaintext = unwrapOutboundIn(data)
        switch state {
        case .awaitingHello, .selecting, .handshaking:
            pendingWrites.append((plaintext, promise))
        case .established(let engine):
            encrypt(plaintext, engine: engine, promise: promise, context: context)
        case .closing, .closed:
            promise?.fail(ChannelError.ioOnClosedChannel)
        }
    }

    package func flush(context: ChannelHandlerContext) {
        switch state {
        case .established:
            context.flush()
        case .awaitingHello, .selecting, .handshaking:
            pendingFlush = true
        case .closing, .closed:
            context.flush()
        }
    }

    package func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard case .established(let engine) = state, mode != .input else {
            if case .closing = state {} else if mode == .all { state = .closed }
            return context.close(mode: mode, promise: promise)
        }
        engine.shutdown()
        let output = engine.takeOutput(allocator: context.channel.allocator)
        state = .closing(engine)
        failPendingWrites(ChannelError.ioOnClosedChannel)
        if let output { context.write(wrapOutboundOut(output), promise: nil) }
        context.flush()
        // Our close_notify is out and, as RFC 8446 §6.1 allows, the peer's is not awaited.
        context.fireUserInboundEventTriggered(TLSUserEvent.shutdownCompleted)
        context.close(mode: .all, promise: promise)
    }

    func writePending(_ engine: Engine, context: ChannelHandlerContext) {
        let writes = pendingWrites
        pendingWrites = []
        for (plaintext, promise) in writes {
            encrypt(plaintext, engine: engine, promise: promise, context: context)
        }
        if pendingFlush {
            pendingFlush = false
            context.flush()
        }
    }

    private func encrypt(_ plaintext: ByteBuffer, engine: Engine, promise: EventLoopPromise<Void>?, context: ChannelHandlerContext) {
        if case .failed(let error) = engine.write(plaintext) {
            promise?.fail(error)
            return fail(error, context: context)
        }
        let output = engine.takeOutput(allocator: context.channel.allocator) ?? context.channel.allocator.buffer(capacity: 0)
        context.write(wrapOutboundOut(output), promise: promise)
    }
}
