import Logging
import NIOCore
import NIOTLS

// MARK: inbound: ClientHello, selection, handshake, decryption

extension TLSServerHandler {
    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data)
        switch state {
        case .awaitingHello(var received):
            state = .awaitingHello(nil)  // the state lets go of the buffer, so appending to it copies nothing
            if received == nil { received = bytes } else { received!.writeImmutableBuffer(bytes) }
            switch reader.read(received!) {
            case .needMoreData:
                state = .awaitingHello(received)
            case .invalid(let error):
                fail(error, context: context)
            case .complete(var hello):
                if hello.serverName == nil { hello.localAddress = context.channel.localAddress }  // selection by address (RFC 8738)
                if let key = selector.immediateCertifiedKey(for: hello) {
                    begin(key, hello: hello, received: received!, context: context)  // the warm path: no future
                } else {
                    state = .selecting(received!, hello)
                    select(hello, context: context)
                }
            }
        case .selecting(var received, let hello):
            received.writeImmutableBuffer(bytes)
            if received.readableBytes > configuration.maximumClientHelloSize * 4 {
                fail(TLSBackendError(.clientHelloTooLarge, "the client sent too much before its certificate was chosen"), context: context)
            } else {
                state = .selecting(received, hello)
            }
        case .handshaking(let engine, let hello):
            engine.receive(bytes)
            advanceHandshake(engine, hello: hello, context: context)
        case .established(let engine), .closing(let engine):
            engine.receive(bytes)
            decrypt(engine, context: context)
        case .closed:
            break
        }
    }

    private func select(_ hello: ClientHello, context: ChannelHandlerContext) {
        let future = selector.certifiedKey(for: hello, on: context.eventLoop)
        future.hop(to: context.eventLoop).assumeIsolated().whenComplete { [self] result in
            guard case .selecting(let received, let hello) = state else { return }
            switch result {
            case .success(let key):
                begin(key, hello: hello, received: received, context: context)
            case .failure(let error):
                let reason = (error as? TLSBackendError)?.reason ?? "the certificate selector failed: \(error)"
                context.writeAndFlush(wrapOutboundOut(.tlsAlert(112, allocator: context.channel.allocator)), promise: nil)
                fail(TLSBackendError(.noCertificate, reason), context: context) // unrecognized_name, RFC 6066 §3
            }
        }
    }

    private func begin(_ key: CertifiedKey, hello: ClientHello, received: ByteBuffer, context: ChannelHandlerContext) {
        let alpn = ALPNPolicy.select(offered: hello.applicationProtocols, serverPreference: configuration.applicationProtocols)
        let engine: Engine
        do {
            engine = try makeEngine(key, hello, alpn)
        } catch {
            let failure = error as? TLSBackendError ?? TLSBackendError(.libraryFailure, "\(error)")
            context.writeAndFlush(wrapOutboundOut(.tlsAlert(80, allocator: context.channel.allocator)), promise: nil)
            return fail(failure, context: context) // internal_error, RFC 8446 §6.2
        }
        state = .handshaking(engine, hello)
        engine.receive(received)
        advanceHandshake(engine, hello: hello, context: context)
    }

    private func advanceHandshake(_ engine: Engine, hello: ClientHello, context: ChannelHandlerContext) {
        switch engine.handshake() {
        case .incomplete:
            sendOutput(engine, context: context)
        case .failed(let error):
            sendOutput(engine, context: context)
            fail(error, context: context)
        case .complete:
            cancelTimer(context: context)
            state = .established(engine)
            sendOutput(engine, context: context)
            let event = TLSHandshakeCompleted(
                applicationProtocol: engine.negotiatedProtocol, protocolVersion: engine.protocolVersion,
                serverName: hello.serverName, stapled: engine.stapled)
            logger.trace("TLS handshake completed", metadata: ["tls.backend": "\(backendName)", "tls.version": "\(event.protocolVersion)"])
            metrics?.recordCompleted()
            context.fireUserInboundEventTriggered(event)
            context.fireUserInboundEventTriggered(TLSUserEvent.handshakeCompleted(negotiatedProtocol: event.applicationProtocol))
            writePending(context: context)
            guard case .established(let engine) = state else { return }
            decrypt(engine, context: context)
        }
    }

    /// Decrypts what was received and passes it up in one buffer, sized by what the library
    /// has unread: no scratch space, no second copy, and nothing allocated when there is
    /// nothing to read.
    func decrypt(_ engine: Engine, context: ChannelHandlerContext) {
        let unread = engine.unreadBytes
        guard unread > 0 else { return }
        var plaintext = context.channel.allocator.buffer(capacity: unread)
        let status = engine.read(into: &plaintext)
        if plaintext.readableBytes > 0 {
            context.fireChannelRead(wrapInboundOut(plaintext))
        }
        guard case .established = state else { return } // a handler after us may have closed
        switch status {
        case .wantMore:
            return
        case .closed: // the peer's close_notify, answered with ours (RFC 8446 §6.1)
            guard encryptUnflushed(engine, context: context) else { return }
            engine.shutdown()
            sendOutput(engine, context: context)
            state = .closing(engine)
            context.fireUserInboundEventTriggered(TLSUserEvent.shutdownCompleted)
            context.close(promise: nil)
        case .failed(let error):
            sendOutput(engine, context: context)
            fail(error, context: context)
        }
    }

    func sendOutput(_ engine: Engine, context: ChannelHandlerContext) {
        if let output = engine.takeOutput() {
            context.writeAndFlush(wrapOutboundOut(output), promise: nil)
        }
    }
}
