import NIOCore

/// Reads the first flight of a connection until it holds a whole ClientHello (RFC 8446 §4.1.2),
/// bounded in size and in records, and extracts the ``ClientHello`` facts. Pure: no I/O, no
/// C library.
///
/// Stateful so that the work is linear in the bytes received: each read resumes at the first
/// record not yet read whole, so a ClientHello that arrives a byte at a time costs no more
/// than one that arrives at once. Feed it the same buffer, grown, on every read.
package struct ClientHelloReader {
    package enum Outcome {
        case needMoreData
        case complete(ClientHello)
        case invalid(TLSBackendError)
    }

    /// The most records a ClientHello may span. One record carries up to 16 KiB
    /// (RFC 8446 §5.1), more than any ClientHello clients send, and clients that split it
    /// send a handful; a ClientHello in tiny records costs work per record, in this reader
    /// and in the library after it, and is refused past this many.
    package static let maximumRecords = 64

    private let maximumSize: Int
    /// Where the next record header starts, counted from the first byte received.
    private var nextRecord = 0
    /// The length of the record at ``nextRecord`` once its header has been read.
    private var recordLength: Int?
    /// The records read whole so far.
    private var records = 0
    /// The handshake bytes of the records read so far, when the ClientHello spans records.
    private var handshake: [UInt8] = []

    /// How many bytes of its input the reader has looked at, over all its reads: record
    /// headers, copied fragments and the parsed body. The tests read it to show the work.
    package private(set) var bytesExamined = 0

    package init(maximumSize: Int) { self.maximumSize = maximumSize }

    /// Examines what was received since the last read (never consumes it: the library needs
    /// it all). `received` is everything received so far, from the first byte.
    package mutating func read(_ received: ByteBuffer) -> Outcome {
        let start = received.readerIndex
        let end = received.writerIndex
        while true {
            let offset = start + nextRecord
            let length: Int
            if let known = recordLength {
                length = known
            } else {
                guard end - offset >= 5 else {
                    if nextRecord == 0, let sniff = Self.sniffNonTLS(received) { return .invalid(sniff) }
                    return .needMoreData
                }
                bytesExamined += 5
                if let failure = checkRecordHeader(at: offset, received) { return .invalid(failure) }
                length = Int(received.getInteger(at: offset + 3, as: UInt16.self)!)
                guard length > 0, length <= 16_384 + 256 else {
                    return .invalid(TLSBackendError(.invalidClientHello, "a TLS record of \(length) bytes is out of range (RFC 8446 §5.1)"))
                }
                recordLength = length
            }
            guard end - offset - 5 >= length else { return .needMoreData }
            recordLength = nil
            nextRecord += 5 + length
            records += 1
            guard records <= Self.maximumRecords else {
                return .invalid(TLSBackendError(.clientHelloTooFragmented,
                    "a ClientHello spread over more than \(Self.maximumRecords) TLS records (\(nextRecord) bytes so far); clients send it in one or a few, so this one is refused"))
            }
            if records == 1, let outcome = readInPlace(received, record: offset + 5, length: length) { return outcome }
            received.withUnsafeReadableBytes { bytes in
                let fragment = offset + 5 - start
                handshake.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[fragment..<(fragment + length)]))
            }
            bytesExamined += length
            if let outcome = readCollected() { return outcome }
            if nextRecord > maximumSize + 64 {
                return .invalid(TLSBackendError(.clientHelloTooLarge, "more than \(maximumSize) bytes arrived without a whole ClientHello"))
            }
        }
    }

    /// The usual case: the first record holds the whole ClientHello, parsed where it lies.
    /// Nil when the record holds only part of it.
    private mutating func readInPlace(_ received: ByteBuffer, record start: Int, length: Int) -> Outcome? {
        guard length >= 4 else { return nil }
        let bodyLength = Int(received.getInteger(at: start + 1, as: UInt8.self)!) << 16
            | Int(received.getInteger(at: start + 2, as: UInt16.self)!)
        guard bodyLength + 4 <= length else { return nil }
        if let failure = checkHandshakeHeader(type: received.getInteger(at: start, as: UInt8.self)!, bodyLength: bodyLength) {
            return .invalid(failure)
        }
        bytesExamined += 4 + bodyLength
        return received.withUnsafeReadableBytes { bytes in
            let body = start + 4 - received.readerIndex
            return Self.parse(UnsafeRawBufferPointer(rebasing: bytes[body..<(body + bodyLength)]))
        }
    }

    /// The ClientHello from the fragments collected so far, nil while it is incomplete.
    private mutating func readCollected() -> Outcome? {
        guard handshake.count >= 4 else { return nil }
        let bodyLength = Int(handshake[1]) << 16 | Int(handshake[2]) << 8 | Int(handshake[3])
        if let failure = checkHandshakeHeader(type: handshake[0], bodyLength: bodyLength) { return .invalid(failure) }
        guard handshake.count >= bodyLength + 4 else {
            handshake.reserveCapacity(bodyLength + 4)
            return nil
        }
        bytesExamined += bodyLength
        return handshake.withUnsafeBytes { Self.parse(UnsafeRawBufferPointer(rebasing: $0[4..<(4 + bodyLength)])) }
    }

    /// Explains a connection that ended before a whole ClientHello (what was read was fine so far).
    package func truncated(_ received: ByteBuffer) -> TLSBackendError {
        TLSBackendError(.truncatedClientHello, "the client closed after \(received.readableBytes) bytes, before a whole ClientHello")
    }

    private func checkHandshakeHeader(type: UInt8, bodyLength: Int) -> TLSBackendError? {
        guard type == 1 else {
            return TLSBackendError(.invalidClientHello, "the first handshake message is type \(type), not ClientHello (1)")
        }
        guard bodyLength + 4 <= maximumSize else {
            return TLSBackendError(.clientHelloTooLarge, "a ClientHello of \(bodyLength + 4) bytes exceeds the \(maximumSize)-byte limit")
        }
        return nil
    }

    private func checkRecordHeader(at offset: Int, _ received: ByteBuffer) -> TLSBackendError? {
        let type = received.getInteger(at: offset, as: UInt8.self)!
        if type != 22 {
            // For the first record sniffNonTLS says what was sent instead; this is for a later one.
            return Self.sniffNonTLS(received) ?? TLSBackendError(.notTLS,
                "record \(records + 1) of the ClientHello has content type \(type), not handshake (22); the client does not speak TLS")
        }
        let major = received.getInteger(at: offset + 1, as: UInt8.self)!
        let minor = received.getInteger(at: offset + 2, as: UInt8.self)!
        guard major == 3, minor <= 4 else {
            return TLSBackendError(.notTLS, "the record version \(major).\(minor) is not TLS")
        }
        return nil
    }

    /// Recognises plain HTTP and SSL 2 from the first bytes, for a clear log line.
    private static func sniffNonTLS(_ received: ByteBuffer) -> TLSBackendError? {
        guard let first = received.getInteger(at: received.readerIndex, as: UInt8.self), first != 22 else { return nil }
        let prefix = received.getBytes(at: received.readerIndex, length: min(received.readableBytes, 16)) ?? []
        let text = String(decoding: prefix.prefix { $0 >= 0x20 && $0 < 0x7f }, as: UTF8.self)
        for method in ["GET ", "POST", "HEAD", "PUT ", "OPTI", "DELE", "CONN", "PATC", "PRI "] where text.hasPrefix(method) {
            return TLSBackendError(.notTLS, "plain HTTP sent to the TLS port (\"\(text)…\"); use https://")
        }
        if first & 0x80 != 0 {
            return TLSBackendError(.notTLS, "an SSL 2 style ClientHello; only TLS 1.2 and 1.3 are served")
        }
        let hex = prefix.prefix(8).map { String($0, radix: 16) }.joined(separator: " ")
        return TLSBackendError(.notTLS, "the first bytes (\(hex)) are not a TLS handshake record; the client does not speak TLS")
    }
}
