import AutocertTestSupport
import AutocertTLS
import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// Each backend's record path against curl, with the ciphertext the server writes recorded
/// under the TLS handler: a response written in many small writes and one flush is one record,
/// a 1 MiB response is cut in full records of at most 2^14 bytes (RFC 8446 §5.1) and read back
/// intact, write promises complete in the order written, and a 1 MiB upload (records cut
/// across the channel's reads, several in one read) reaches the application intact.
@Suite("TLS backends: records as full as allowed, 1 MiB intact, promises in order (curl)", .serialized)
struct RecordPathTests {
    /// The records the server wrote while answering, recorded below the TLS handler.
    final class CiphertextLog: ChannelOutboundHandler, Sendable {
        typealias OutboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        private let state = Mutex<(answering: Bool, records: [Int], partial: [UInt8])>((false, [], []))

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            let buffer = unwrapOutboundIn(data)
            state.withLock { state in
                guard state.answering else { return }
                // Record headers (RFC 8446 §5.1: type, version, 2-byte length), across writes.
                state.partial += buffer.readableBytesView
                while state.partial.count >= 5 {
                    let length = Int(state.partial[3]) << 8 | Int(state.partial[4])
                    guard state.partial.count >= 5 + length else { break }
                    state.records.append(length)
                    state.partial.removeFirst(5 + length)
                }
            }
            context.write(data, promise: promise)
        }

        func startAnswer() { state.withLock { $0.answering = true } }
        func endAnswer() { state.withLock { $0.answering = false } }
        /// The length of each record of the answer, and whether one was cut short.
        var answer: (records: [Int], cutShort: Bool) { state.withLock { ($0.records, !$0.partial.isEmpty) } }
    }

    /// Answers the first request it sees with a response of `head` then `bodyWrites` (each a
    /// separate write, with a promise every other one and on the last) and one flush, and
    /// closes once the last write is done.
    final class Responder: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let log: CiphertextLog
        let bodyWrites: [[UInt8]]
        private let state = Mutex<(request: [UInt8], answered: Bool, completed: [Int])>(([], false, []))

        init(log: CiphertextLog, bodyWrites: [[UInt8]]) {
            self.log = log
            self.bodyWrites = bodyWrites
        }

        var head: [UInt8] { Array("HTTP/1.1 200 OK\r\nContent-Length: \(bodyWrites.reduce(0) { $0 + $1.count })\r\nConnection: close\r\n\r\n".utf8) }
        var plaintextLength: Int { head.count + bodyWrites.reduce(0) { $0 + $1.count } }
        var completed: [Int] { state.withLock { $0.completed } }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let ready = state.withLock { state -> Bool in
                state.request += unwrapInboundIn(data).readableBytesView
                guard !state.answered, state.request.suffix(4) == Array("\r\n\r\n".utf8) else { return false }
                state.answered = true
                return true
            }
            guard ready else { return }
            log.startAnswer()
            context.write(wrapOutboundOut(ByteBuffer(bytes: head)), promise: nil)
            for (index, bytes) in bodyWrites.enumerated() {
                let last = index == bodyWrites.count - 1
                let promise = index % 2 == 0 || last ? context.eventLoop.makePromise(of: Void.self) : nil
                promise?.futureResult.whenSuccess { self.state.withLock { $0.completed.append(index) } }
                if last {
                    promise?.futureResult.assumeIsolated().whenComplete { _ in
                        self.log.endAnswer() // close_notify is not part of the answer
                        context.close(promise: nil)
                    }
                }
                context.write(wrapOutboundOut(ByteBuffer(bytes: bytes)), promise: promise)
            }
            context.flush()
        }
    }

    /// Reads one request with a Content-Length body and answers with the body's length and
    /// FNV-1a digest, computed from the plaintext exactly as it came up the pipeline.
    final class UploadDigest: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        private let received = Mutex<[UInt8]>([])

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let answer = received.withLock { received -> String? in
                received += unwrapInboundIn(data).readableBytesView
                guard let end = received.firstRange(of: Array("\r\n\r\n".utf8))?.upperBound else { return nil }
                let head = String(decoding: received[..<end], as: UTF8.self).lowercased()
                guard let line = head.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
                      let length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)),
                      received.count - end >= length else { return nil }
                return "\(length) \(RecordPathTests.digest(received[end..<(end + length)]))"
            }
            guard let answer else { return }
            let response = "HTTP/1.1 200 OK\r\nContent-Length: \(answer.utf8.count)\r\nConnection: close\r\n\r\n\(answer)"
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: response))).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        }
    }

    static func digest(_ bytes: some Sequence<UInt8>) -> UInt64 {
        bytes.reduce(0xcbf2_9ce4_8422_2325 as UInt64) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
    }

    static func body(_ count: Int, seed: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: ($0 &* 31 &+ seed) % 253) } }

    /// Serves one connection's answer over `backend` and fetches it with curl (uploading
    /// `upload` when given); returns the body curl saved.
    static func fetch(
        _ backend: BackendKind, log: CiphertextLog, responder: some ChannelHandler & Sendable, upload: [UInt8]? = nil
    ) async throws -> [UInt8] {
        let pki = try await TLSTestPKI.create()
        defer { pki.directory.remove() }
        let alpha = try await pki.issue("alpha.test", staple: false)
        var names = StaticCertificateSelector()
        names.add(alpha.key, for: ["alpha.test"])
        let selector = names
        let tls = try backend.make(TLSServerConfiguration(applicationProtocols: ["http/1.1"]))
        let server = try await TestTLSServer.start(tls, selector: selector, logger: Logger(label: "test"),
                                                   before: { try $0.addHandler(log) }, after: { try $0.addHandler(responder) })
        let port = server.port
        let saved = pki.directory.file("body")
        var uploading: [String] = []
        if let upload {
            let path = pki.directory.file("upload")
            try Data(upload).write(to: URL(fileURLWithPath: path))
            uploading = ["--data-binary", "@" + path, "-H", "Content-Type: application/octet-stream"]
        }
        let curl = try ClientProcess("curl", [
            "-sS", "--http1.1", "--max-time", "20", "--cacert", pki.caPath, "--resolve", "alpha.test:\(port):127.0.0.1",
            "-o", saved, "https://alpha.test:\(port)/",
        ] + uploading, stdin: "")
        let transcript = try await curl.finish()
        await server.stop()
        #expect(curl.status == 0, "curl: \(transcript)")
        return Array(try Data(contentsOf: URL(fileURLWithPath: saved)))
    }

    @Test("100 small writes and one flush: one record of all of it", arguments: BackendKind.allCases)
    func smallWritesOneRecord(_ backend: BackendKind) async throws {
        let bodyWrites = (0..<100).map { Self.body(37, seed: $0) }
        let log = CiphertextLog()
        let responder = Responder(log: log, bodyWrites: bodyWrites)
        let received = try await Self.fetch(backend, log: log, responder: responder)
        #expect(received == bodyWrites.flatMap { $0 })
        let answer = log.answer
        #expect(answer.records.count == 1 && !answer.cutShort, "record lengths \(answer.records)")
        // TLS 1.3: the plaintext, its content type and a 16-byte AEAD tag (RFC 8446 §5.2).
        #expect(answer.records.first == responder.plaintextLength + 17, "record lengths \(answer.records)")
        #expect(responder.completed == Array(stride(from: 0, to: 100, by: 2)) + [99])
    }

    @Test("a 1 MiB body in one write: read back intact, in full records of at most 2^14 bytes", arguments: BackendKind.allCases)
    func oneMebibyteIntact(_ backend: BackendKind) async throws {
        let bodyWrites = [Self.body(1 << 20, seed: 7), Self.body(1000, seed: 3)]
        let log = CiphertextLog()
        let responder = Responder(log: log, bodyWrites: bodyWrites)
        let received = try await Self.fetch(backend, log: log, responder: responder)
        #expect(received.count == 1_049_576 && received == bodyWrites.flatMap { $0 })
        let answer = log.answer
        let plaintext = responder.plaintextLength
        #expect(!answer.cutShort)
        #expect(answer.records.count == (plaintext + 16_383) / 16_384, "\(answer.records.count) records for \(plaintext) bytes")
        #expect(answer.records.allSatisfy { $0 <= 16_384 + 256 }, "a record over the limit: \(answer.records.max() ?? 0)")
        #expect(answer.records.dropLast().allSatisfy { $0 == 16_384 + 17 }, "records not full: \(Set(answer.records))")
        #expect(answer.records.reduce(0) { $0 + $1 - 17 } == plaintext)
        #expect(responder.completed == [0, 1])
    }

    @Test("a 1 MiB upload reaches the application intact, records cut across reads", arguments: BackendKind.allCases)
    func oneMebibyteUpload(_ backend: BackendKind) async throws {
        let upload = Self.body(1 << 20, seed: 11)
        let answer = try await Self.fetch(backend, log: CiphertextLog(), responder: UploadDigest(), upload: upload)
        #expect(String(decoding: answer, as: UTF8.self) == "\(upload.count) \(Self.digest(upload))")
    }
}
