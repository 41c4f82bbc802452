@testable import AutocertTLS
import Logging
import NIOCore
import NIOEmbedded
import Testing

/// A ClientHello split over many records (RFC 8446 §5.1 lets a handshake message span
/// records): the work of reading it is linear in the bytes received, and the records are capped.
@Suite("ClientHello over many records: linear work, a record cap, every byte kept")
struct ClientHelloRecordsTests {
    /// A ClientHello of about 16 KB in 63 records of 256 bytes: within the size limit and the record cap.
    static let manyRecords = RawClient.clientHello(serverName: "a.test", alpn: ["h2"], extraPadding: 15_900, recordSize: 256)

    @Test("a ClientHello read one byte at a time as it arrives examines each byte at most twice")
    func oneByteAtATimeIsLinear() throws {
        let wire = Self.manyRecords
        var reader = ClientHelloReader(maximumSize: 16_384)
        var received = ByteBuffer()
        var outcome = ClientHelloReader.Outcome.needMoreData
        for byte in wire {
            #expect(outcome.needsMore)
            received.writeInteger(byte)
            outcome = reader.read(received)
        }
        let hello = try #require(outcome.hello)
        #expect(hello.serverName == "a.test" && hello.applicationProtocols == ["h2"])
        // Each record header once, each fragment copied once, the body parsed once.
        #expect(reader.bytesExamined <= 2 * wire.count, "examined \(reader.bytesExamined) bytes of a \(wire.count)-byte input")
    }

    @Test("a ClientHello sent as 2,600 one-byte records is refused at the record cap, having examined only those records")
    func thousandsOfOneByteRecordsAreRefused() {
        let wire = RawClient.clientHello(serverName: "a.test", alpn: ["h2"], extraPadding: 2_500, recordSize: 1)
        #expect(wire.count / 6 >= 2_600)
        var reader = ClientHelloReader(maximumSize: 16_384)
        var received = ByteBuffer()
        var outcome = ClientHelloReader.Outcome.needMoreData
        var records = 0
        while outcome.needsMore, records * 6 < wire.count {
            received.writeBytes(wire[(records * 6)..<(records * 6 + 6)])
            records += 1
            outcome = reader.read(received)
        }
        #expect(outcome.code == .clientHelloTooFragmented)
        #expect(records == ClientHelloReader.maximumRecords + 1)
        #expect(reader.bytesExamined <= 2 * records * 6, "examined \(reader.bytesExamined) bytes")
        // Whole, in one read, it is refused the same way.
        var whole = ClientHelloReader(maximumSize: 16_384)
        #expect(whole.read(ByteBuffer(bytes: wire)).code == .clientHelloTooFragmented)
    }

    @Test("the handler reads a ClientHello arriving one byte per read in linear work and hands the library every byte once")
    func handlerKeepsStateAndEveryByte() throws {
        let wire = Self.manyRecords
        let engine = RecordingEngine()
        var selector = StaticCertificateSelector()
        selector.add(try CertifiedKey(certificateChain: [[1]], privateKey: [2]), for: ["a.test"])
        let handler = TLSServerHandler(
            backendName: "recording", selector: selector, configuration: TLSServerConfiguration(),
            logger: Logger(label: "test")) { _, _, _ in engine }
        let channel = EmbeddedChannel(handler: handler)
        defer { _ = try? channel.finish() }
        for byte in wire {
            try channel.writeInbound(ByteBuffer(bytes: [byte]))
        }
        #expect(engine.received == wire)
        #expect(handler.reader.bytesExamined <= 2 * wire.count, "examined \(handler.reader.bytesExamined) bytes of a \(wire.count)-byte input")
    }
}

/// An engine that keeps what it is given and never finishes its handshake.
final class RecordingEngine: TLSServerEngine {
    var received: [UInt8] = []

    func receive(_ ciphertext: ByteBuffer) { received += ciphertext.readableBytesView }
    func handshake() -> TLSEngineStatus { .incomplete }
    var unreadBytes: Int { 0 }
    func read(into plaintext: inout ByteBuffer) -> TLSEngineReadStatus { .wantMore }
    func write(_ plaintext: ByteBuffer) -> TLSEngineStatus { .incomplete }
    func shutdown() {}
    func takeOutput() -> ByteBuffer? { nil }
    var negotiatedProtocol: String? { nil }
    var protocolVersion: String { "none" }
    var stapled: Bool { false }
}

extension ClientHelloReader.Outcome {
    var hello: ClientHello? { if case .complete(let hello) = self { hello } else { nil } }
}
