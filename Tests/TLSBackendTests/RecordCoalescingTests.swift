@testable import AutocertTLS
import Logging
import NIOCore
import NIOEmbedded
import Synchronization
import Testing

/// The handler's record path with an engine that frames plaintext without encrypting it, so
/// that every record and every channel write can be counted: writes are held until the flush
/// and go out in as few records as RFC 8446 §5.1 allows, promises complete in order and only
/// once their bytes are written, and close_notify comes after what was written before it.
@Suite("TLS handler: writes held until the flush, full records, promises in order")
struct RecordCoalescingTests {
    /// A handler whose handshake finished, over a ``FramingEngine``.
    static func established() throws -> (EmbeddedChannel, FramingEngine) {
        let engine = FramingEngine()
        var selector = StaticCertificateSelector()
        selector.add(try CertifiedKey(certificateChain: [[1]], privateKey: [2]), for: ["a.test"])
        let handler = TLSServerHandler(
            backendName: "framing", selector: selector, configuration: TLSServerConfiguration(),
            logger: Logger(label: "test")) { _, _, _ in engine }
        let channel = EmbeddedChannel(handler: handler)
        try channel.writeInbound(ByteBuffer(bytes: RawClient.clientHello(serverName: "a.test", alpn: ["http/1.1"])))
        return (channel, engine)
    }

    /// Every record in what the handler wrote to the channel, one list per channel write.
    static func flushedRecords(_ channel: EmbeddedChannel) throws -> [[FramingEngine.Record]] {
        var writes: [[FramingEngine.Record]] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { writes.append(try FramingEngine.records(in: buffer)) }
        return writes
    }

    static func bytes(_ count: Int, from start: Int = 0) -> [UInt8] { (start..<(start + count)).map { UInt8(truncatingIfNeeded: $0 % 251) } }

    /// What became of futures, in the order they completed.
    final class Outcomes: Sendable {
        let completed = Mutex<[(Int, Result<Void, any Error>)]>([])

        func watch(_ future: EventLoopFuture<Void>, as index: Int) {
            future.whenComplete { result in self.completed.withLock { $0.append((index, result)) } }
        }
        var order: [Int] { completed.withLock { $0.map(\.0) } }
        var failures: [Int] { completed.withLock { $0.filter { if case .failure = $0.1 { true } else { false } }.map(\.0) } }
        func error(_ index: Int) -> (any Error)? {
            completed.withLock { entries in
                entries.first { $0.0 == index }.flatMap { if case .failure(let error) = $0.1 { error } else { nil } }
            }
        }
    }

    @Test("100 small writes, then a flush: nothing encrypted or sent before it, then one record in one channel write")
    func smallWritesBecomeOneRecord() throws {
        let (channel, engine) = try Self.established()
        defer { _ = try? channel.finish() }
        var expected: [UInt8] = []
        for index in 0..<100 {
            let chunk = Self.bytes(37, from: index * 37)
            expected += chunk
            channel.write(ByteBuffer(bytes: chunk), promise: nil)
        }
        #expect(engine.writes == 0, "encrypted before the flush")
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil, "sent before the flush")
        channel.flush()
        let writes = try Self.flushedRecords(channel)
        #expect(writes.count == 1 && writes.first?.count == 1, "\(writes.map { $0.map(\.plaintext.count) })")
        #expect(writes.first?.first?.plaintext == expected)
        #expect(engine.writes == 1)
    }

    @Test("a 40 KiB write after a small one: full 16 KiB records first, at most 16 KiB each, every byte in order")
    func largeWriteIsCutInFullRecords() throws {
        let (channel, _) = try Self.established()
        defer { _ = try? channel.finish() }
        let head = Self.bytes(100), body = Self.bytes(40 * 1024, from: 100), tail = Self.bytes(10, from: 7)
        channel.write(ByteBuffer(bytes: head), promise: nil)
        channel.write(ByteBuffer(bytes: body), promise: nil)
        channel.write(ByteBuffer(bytes: tail), promise: nil)
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil, "sent before the flush")
        channel.flush()
        let records = try Self.flushedRecords(channel).flatMap { $0 }
        #expect(records.map(\.plaintext.count) == [16_384, 16_384, 100 + 40 * 1024 + 10 - 2 * 16_384])
        #expect(records.flatMap(\.plaintext) == head + body + tail)
    }

    @Test("a 1 MiB write: 64 records of 16 KiB, written as they are made, flushed once")
    func oneMebibyte() throws {
        let (channel, _) = try Self.established()
        defer { _ = try? channel.finish() }
        let body = Self.bytes(1 << 20)
        channel.writeAndFlush(ByteBuffer(bytes: body), promise: nil)
        let records = try Self.flushedRecords(channel).flatMap { $0 }
        #expect(records.count == 64 && records.allSatisfy { $0.plaintext.count == 16_384 })
        #expect(records.flatMap(\.plaintext) == body)
    }

    @Test("write promises: none completes before the flush, then all in the order written")
    func promisesInOrder() throws {
        let (channel, _) = try Self.established()
        defer { _ = try? channel.finish() }
        let outcomes = Outcomes()
        let sizes = [10, 0, 20_000, 5, 16_384, 3]
        for (index, size) in sizes.enumerated() {
            let promise = channel.eventLoop.makePromise(of: Void.self)
            outcomes.watch(promise.futureResult, as: index)
            channel.write(ByteBuffer(bytes: Self.bytes(size)), promise: promise)
            if index == 2 { channel.write(ByteBuffer(bytes: Self.bytes(7)), promise: nil) } // a write with no promise among them
        }
        #expect(outcomes.order.isEmpty)
        channel.flush()
        #expect(outcomes.order == Array(sizes.indices))
        #expect(outcomes.failures.isEmpty)
    }

    @Test("a failed encryption fails every held write's promise and closes the connection")
    func failedEncryptionFailsTheWrites() throws {
        let (channel, engine) = try Self.established()
        defer { _ = try? channel.finish() }
        engine.failWrites = true
        let outcomes = Outcomes()
        outcomes.watch(channel.closeFuture, as: -1)
        for index in 0..<2 {
            let promise = channel.eventLoop.makePromise(of: Void.self)
            outcomes.watch(promise.futureResult, as: index)
            channel.write(ByteBuffer(bytes: Self.bytes(10)), promise: promise)
        }
        #expect(outcomes.order.isEmpty)
        channel.flush()
        #expect(outcomes.failures == [0, 1])
        #expect(outcomes.error(0) is TLSBackendError && outcomes.error(1) is TLSBackendError)
        channel.embeddedEventLoop.run() // EmbeddedChannel completes its closeFuture on its loop
        #expect(outcomes.order.contains(-1), "the channel did not close")
        let late = channel.eventLoop.makePromise(of: Void.self)
        outcomes.watch(late.futureResult, as: 2)
        channel.write(ByteBuffer(bytes: Self.bytes(10)), promise: late)
        #expect(outcomes.failures == [0, 1, 2])
    }

    @Test("close: what was written and not flushed goes out, then close_notify", arguments: [CloseMode.all, .output])
    func closeNotifyComesLast(_ mode: CloseMode) throws {
        let (channel, _) = try Self.established()
        channel.write(ByteBuffer(bytes: Self.bytes(5)), promise: nil)
        channel.write(ByteBuffer(bytes: Self.bytes(6)), promise: nil)
        channel.close(mode: mode, promise: nil)
        let records = try Self.flushedRecords(channel).flatMap { $0 }
        #expect(records.map(\.type) == [23, 21])
        #expect(records.first?.plaintext == Self.bytes(5) + Self.bytes(6))
    }

    @Test("writes made during the handshake are held, then sent at its end as one record when flushed")
    func writesDuringTheHandshake() throws {
        let engine = FramingEngine()
        engine.handshakeDone = false
        var selector = StaticCertificateSelector()
        selector.add(try CertifiedKey(certificateChain: [[1]], privateKey: [2]), for: ["a.test"])
        let handler = TLSServerHandler(
            backendName: "framing", selector: selector, configuration: TLSServerConfiguration(),
            logger: Logger(label: "test")) { _, _, _ in engine }
        let channel = EmbeddedChannel(handler: handler)
        defer { _ = try? channel.finish() }
        try channel.writeInbound(ByteBuffer(bytes: RawClient.clientHello(serverName: "a.test", alpn: ["http/1.1"])))
        channel.write(ByteBuffer(bytes: Self.bytes(3)), promise: nil)
        channel.writeAndFlush(ByteBuffer(bytes: Self.bytes(4)), promise: nil)
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        engine.handshakeDone = true
        try channel.writeInbound(ByteBuffer(bytes: [0]))
        let records = try Self.flushedRecords(channel).flatMap { $0 }
        #expect(records.count == 1 && records.first?.plaintext == Self.bytes(3) + Self.bytes(4))
    }
}

/// An engine with no cryptography: it finishes its handshake on its first input (or when
/// told), frames plaintext as TLS 1.3 records do (type 23, at most 2^14 bytes each), and
/// counts its writes.
final class FramingEngine: TLSServerEngine {
    struct Record: Equatable {
        var type: UInt8
        var plaintext: [UInt8]
    }

    var handshakeDone = true
    var failWrites = false
    private(set) var writes = 0
    private var input = ByteBuffer()
    private var output = TLSCiphertextBuffer()

    func receive(_ ciphertext: ByteBuffer) { var ciphertext = ciphertext; input.writeBuffer(&ciphertext) }
    func handshake() -> TLSEngineStatus {
        guard handshakeDone else { return .incomplete }
        input.clear() // the handshake's own bytes
        return .complete
    }
    var unreadBytes: Int { input.readableBytes }
    func read(into plaintext: inout ByteBuffer) -> TLSEngineReadStatus {
        plaintext.writeBuffer(&input)
        return .wantMore
    }
    func write(_ plaintext: ByteBuffer) -> TLSEngineStatus {
        writes += 1
        if failWrites { return .failed(TLSBackendError(.libraryFailure, "the test engine refuses to encrypt")) }
        var plaintext = plaintext
        output.reserve(forPlaintext: plaintext.readableBytes)
        while plaintext.readableBytes > 0 {
            let fragment = plaintext.readSlice(length: min(plaintext.readableBytes, 16_384))!
            let header: [UInt8] = [23, 3, 3, UInt8(fragment.readableBytes >> 8), UInt8(fragment.readableBytes & 0xff)]
            header.withUnsafeBytes { output.append($0) }
            fragment.withUnsafeReadableBytes { output.append($0) }
        }
        return .complete
    }
    func shutdown() { [UInt8]([21, 3, 3, 0, 2, 1, 0]).withUnsafeBytes { output.append($0) } }
    func takeOutput() -> ByteBuffer? { output.take() }
    var negotiatedProtocol: String? { nil }
    var protocolVersion: String { "framing" }
    var stapled: Bool { false }

    /// The records in `buffer`, which must hold whole ones only.
    static func records(in buffer: ByteBuffer) throws -> [Record] {
        var records: [Record] = []
        var offset = buffer.readerIndex
        while offset < buffer.writerIndex {
            let header = try #require(buffer.getBytes(at: offset, length: 5), "a record header cut short")
            let length = Int(header[3]) << 8 | Int(header[4])
            let fragment = try #require(buffer.getBytes(at: offset + 5, length: length), "a record cut short")
            records.append(Record(type: header[0], plaintext: fragment))
            offset += 5 + length
        }
        return records
    }
}
