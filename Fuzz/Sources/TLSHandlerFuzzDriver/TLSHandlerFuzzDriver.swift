import AutocertTLS
import Crypto
import Foundation
import FuzzDriver
import Logging
import NIOCore
import NIOEmbedded
import X509

/// Drives one backend's server handler with an input as a client's byte stream, for the
/// `TLSHandlerOpenSSLFuzzer` and `TLSHandlerGnuTLSFuzzer` targets.
///
/// Each input gets a new `EmbeddedChannel` with the public `makeServerHandler(selector:logger:)`
/// handler, and the stream arrives in chunks derived from the input (``InputChunks``); what
/// the handler writes back is read and dropped. Then, as the input decides, the client
/// closes, or the handshake timeout fires, or the server closes. An application write may
/// come before the stream, held by the handler until a handshake that never finishes.
/// Nothing may crash, leak or take super-linear time, whatever the bytes.
public struct TLSHandlerFuzzDriver {
    private let backend: any TLSBackend
    private let selector: StaticCertificateSelector
    private let logger = Logger(label: "fuzz") { _ in RenderingLogHandler() }

    /// The name of the certificate made at start; the seeds ask for it.
    public static let serverName = "fuzz.test"

    /// A driver for `backend`, with a self-signed P-256 certificate for `fuzz.test` and
    /// `*.fuzz.test` (the default too), a staple for clients that ask (RFC 6066 §8), and a
    /// tls-alpn-01 challenge certificate (RFC 8737 §3) for `fuzz.test`.
    public init(backend: any TLSBackend) {
        self.backend = backend
        do {
            let key = P256.Signing.PrivateKey()
            let name = try DistinguishedName { CommonName(Self.serverName) }
            let now = Date()
            let certificate = try Certificate(
                version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
                notValidBefore: now - 3600, notValidAfter: now + 365 * 86_400, issuer: name, subject: name,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    SubjectAlternativeNames([.dnsName(Self.serverName), .dnsName("*." + Self.serverName)])
                },
                issuerPrivateKey: .init(key))
            let chainPEM = try certificate.serializeAsPEM().pemString
            // Any bytes do: backends send the staple as they get it.
            let staple = try StaticStaple([0x30, 0x03, 0x0a, 0x01, 0x00])
            var selector = StaticCertificateSelector()
            selector.add(try CertifiedKey(chainPEM: chainPEM, privateKeyPEM: key.pemRepresentation, stapleSource: staple),
                         for: [Self.serverName, "*." + Self.serverName])
            selector.setChallenge(try CertifiedKey(chainPEM: chainPEM, privateKeyPEM: key.pemRepresentation), for: Self.serverName)
            self.selector = selector
        } catch {
            fatalError("fuzzer certificate: \(error)")
        }
    }

    /// Feeds `input` to a new handler, as described above.
    public func run(_ input: UnsafeRawBufferPointer) {
        var chunks = InputChunks(input)
        let choices = chunks.next()
        let channel = EmbeddedChannel()
        channel.localAddress = try? SocketAddress(ipAddress: "127.0.0.1", port: 443)
        do {
            try channel.pipeline.syncOperations.addHandler(backend.makeServerHandler(selector: selector, logger: logger))
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 50_000)).wait()
        } catch {
            fatalError("setting up the channel: \(error)")
        }
        if choices & 0x10 != 0 {
            channel.writeAndFlush(ByteBuffer(string: "early application data"), promise: nil)
        }
        var offset = 0
        for size in chunks.sizes(count: input.count) {
            guard channel.isActive else { break }
            _ = try? channel.writeInbound(ByteBuffer(bytes: UnsafeRawBufferPointer(rebasing: input[offset..<(offset + size)])))
            offset += size
            drain(channel)
        }
        switch choices % 4 {
        case 0: channel.embeddedEventLoop.advanceTime(by: .seconds(60))  // the handshake timeout
        case 1: _ = try? channel.close().wait()  // the server closes (close_notify)
        default: channel.pipeline.fireChannelInactive()  // the client goes away
        }
        drain(channel)
        _ = try? channel.finish(acceptAlreadyClosed: true)
        drain(channel)
    }

    private func drain(_ channel: EmbeddedChannel) {
        while (try? channel.readOutbound(as: ByteBuffer.self)) ?? nil != nil {}
        while (try? channel.readInbound(as: ByteBuffer.self)) ?? nil != nil {}
    }
}

/// A log handler that renders every message and its metadata, then drops them, so that the
/// text a bad connection is logged with is built as in production, at no cost in output.
struct RenderingLogHandler: LogHandler {
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var rendered = event.message.description
        for (key, value) in event.metadata ?? [:] { rendered += key + "\(value)" }
        _ = rendered.utf8.count
    }
}
