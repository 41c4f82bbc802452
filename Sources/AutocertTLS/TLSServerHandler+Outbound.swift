import NIOCore
import NIOTLS

// MARK: outbound: held writes, encryption at the flush, close_notify

extension TLSServerHandler {
    package func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let plaintext = unwrapOutboundIn(data)
        switch state {
        case .awaitingHello, .selecting, .handshaking:
            pendingWrites.append((plaintext, promise))
        case .established(let engine):
            hold(plaintext, promise: promise, engine: engine, context: context)
        case .closing, .closed:
            promise?.fail(ChannelError.ioOnClosedChannel)
        }
    }

    package func flush(context: ChannelHandlerContext) {
        switch state {
        case .established(let engine):
            guard encryptUnflushed(engine, context: context) else { return }
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
        // What was written before the close goes out before close_notify, as it would have
        // had it been flushed.
        guard encryptUnflushed(engine, context: context) else { return context.close(mode: .all, promise: promise) }
        engine.shutdown()
        let output = engine.takeOutput()
        state = .closing(engine)
        failPendingWrites(ChannelError.ioOnClosedChannel)
        if let output { context.write(wrapOutboundOut(output), promise: nil) }
        context.flush()
        // Our close_notify is out and, as RFC 8446 §6.1 allows, the peer's is not awaited.
        context.fireUserInboundEventTriggered(TLSUserEvent.shutdownCompleted)
        context.close(mode: .all, promise: promise)
    }

    /// Replays the writes made during the handshake, then their flush if one was asked for.
    func writePending(context: ChannelHandlerContext) {
        let writes = pendingWrites
        pendingWrites = []
        for (plaintext, promise) in writes {
            guard case .established(let engine) = state else {
                promise?.fail(ChannelError.ioOnClosedChannel)
                continue
            }
            hold(plaintext, promise: promise, engine: engine, context: context)
        }
        if pendingFlush {
            pendingFlush = false
            flush(context: context)
        }
    }

    /// Holds `plaintext` until the flush, in less than one record's worth: what fills a record
    /// (RFC 8446 §5.1) is encrypted and written now, unflushed, with the promises of the writes
    /// it completes. A large write is encrypted straight from its own buffer; only the bytes
    /// that complete a record already begun are copied.
    private func hold(_ plaintext: ByteBuffer, promise: EventLoopPromise<Void>?, engine: Engine, context: ChannelHandlerContext) {
        var plaintext = plaintext
        let record = Self.maximumPlaintextRecord
        var encrypted = false
        if var held = unflushedPlaintext.take() {
            let room = record - held.readableBytes
            guard plaintext.readableBytes >= room else {
                held.writeBuffer(&plaintext)
                unflushedPlaintext = held
                unflushedPromises.append(promise)
                return
            }
            var completion = plaintext.readSlice(length: room)!
            held.writeBuffer(&completion)
            if let error = encrypt(held, engine: engine, context: context) { promise?.fail(error); return }
            encrypted = true
        }
        let wholeRecords = plaintext.readableBytes - plaintext.readableBytes % record
        if wholeRecords > 0 {
            if let error = encrypt(plaintext.readSlice(length: wholeRecords)!, engine: engine, context: context) {
                promise?.fail(error)
                return
            }
            encrypted = true
        }
        if encrypted {
            // Every earlier write is in this ciphertext, and this one too when nothing is left of it.
            if plaintext.readableBytes == 0 { unflushedPromises.append(promise) }
            writeCiphertext(engine, promise: unflushedPromises.take(on: context.eventLoop), context: context)
            if plaintext.readableBytes == 0 { return }
        }
        if plaintext.readableBytes > 0 { unflushedPlaintext = plaintext }
        unflushedPromises.append(promise)
    }

    /// Encrypts what is held and writes it (unflushed) with the promises of the writes it
    /// ends; false when the library failed, and the connection is then ending.
    func encryptUnflushed(_ engine: Engine, context: ChannelHandlerContext) -> Bool {
        if let held = unflushedPlaintext.take(), held.readableBytes > 0 {
            if encrypt(held, engine: engine, context: context) != nil { return false }
        }
        writeCiphertext(engine, promise: unflushedPromises.take(on: context.eventLoop), context: context)
        return true
    }

    /// Writes the library's output, if any, unflushed; a promise with no output is still
    /// written (an empty buffer), so that it completes after the writes before it.
    private func writeCiphertext(_ engine: Engine, promise: EventLoopPromise<Void>?, context: ChannelHandlerContext) {
        if let output = engine.takeOutput() {
            context.write(wrapOutboundOut(output), promise: promise)
        } else if let promise {
            context.write(wrapOutboundOut(context.channel.allocator.buffer(capacity: 0)), promise: promise)
        }
    }

    /// Has the library encrypt `plaintext`; on failure ends the connection (failing every
    /// held write) and returns why.
    private func encrypt(_ plaintext: ByteBuffer, engine: Engine, context: ChannelHandlerContext) -> TLSBackendError? {
        guard case .failed(let error) = engine.write(plaintext) else { return nil }
        fail(error, context: context)
        return error
    }
}
