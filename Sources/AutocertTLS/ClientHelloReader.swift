import NIOCore

/// Reads the first flight of a connection until it holds a whole ClientHello (RFC 8446 §4.1.2),
/// bounded in size, and extracts the ``ClientHello`` facts. Pure: no I/O, no C library.
package struct ClientHelloReader {
    package enum Outcome {
        case needMoreData
        case complete(ClientHello)
        case invalid(TLSBackendError)
    }

    private let maximumSize: Int

    package init(maximumSize: Int) { self.maximumSize = maximumSize }

    /// Examines everything received so far (never consumes it: the library needs it all).
    package func read(_ received: ByteBuffer) -> Outcome {
        var offset = received.readerIndex
        let end = received.writerIndex
        var handshake: [UInt8] = []
        while true {
            guard end - offset >= 5 else {
                if let sniff = Self.sniffNonTLS(received) { return .invalid(sniff) }
                return .needMoreData
            }
            let type = received.getInteger(at: offset, as: UInt8.self)!
            let major = received.getInteger(at: offset + 1, as: UInt8.self)!
            let minor = received.getInteger(at: offset + 2, as: UInt8.self)!
            if let failure = Self.checkRecordHeader(type: type, major: major, minor: minor, received: received) { return .invalid(failure) }
            let length = Int(received.getInteger(at: offset + 3, as: UInt16.self)!)
            guard length > 0, length <= 16_384 + 256 else {
                return .invalid(TLSBackendError(.invalidClientHello, "a TLS record of \(length) bytes is out of range (RFC 8446 §5.1)"))
            }
            guard end - offset - 5 >= length else { return .needMoreData }
            if handshake.isEmpty, length >= 4 {
                // The usual case: the first record holds the whole ClientHello; parse it in place.
                let start = offset + 5
                let bodyLength = Int(received.getInteger(at: start + 1, as: UInt8.self)!) << 16
                    | Int(received.getInteger(at: start + 2, as: UInt16.self)!)
                if bodyLength + 4 <= length {
                    let type = received.getInteger(at: start, as: UInt8.self)!
                    guard type == 1 else {
                        return .invalid(TLSBackendError(.invalidClientHello, "the first handshake message is type \(type), not ClientHello (1)"))
                    }
                    guard bodyLength + 4 <= maximumSize else {
                        return .invalid(TLSBackendError(.clientHelloTooLarge, "a ClientHello of \(bodyLength + 4) bytes exceeds the \(maximumSize)-byte limit"))
                    }
                    return received.withUnsafeReadableBytes { bytes in
                        let bodyStart = start + 4 - received.readerIndex
                        return Self.parse(UnsafeRawBufferPointer(rebasing: bytes[bodyStart..<(bodyStart + bodyLength)]))
                    }
                }
            }
            if handshake.isEmpty { handshake.reserveCapacity(length) }
            received.withUnsafeReadableBytes { bytes in
                let start = offset + 5 - received.readerIndex
                handshake.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<(start + length)]))
            }
            offset += 5 + length
            if handshake.count >= 4 {
                guard handshake[0] == 1 else {
                    return .invalid(TLSBackendError(.invalidClientHello, "the first handshake message is type \(handshake[0]), not ClientHello (1)"))
                }
                let bodyLength = Int(handshake[1]) << 16 | Int(handshake[2]) << 8 | Int(handshake[3])
                guard bodyLength + 4 <= maximumSize else {
                    return .invalid(TLSBackendError(.clientHelloTooLarge, "a ClientHello of \(bodyLength + 4) bytes exceeds the \(maximumSize)-byte limit"))
                }
                if handshake.count >= bodyLength + 4 {
                    return handshake.withUnsafeBytes { Self.parse(UnsafeRawBufferPointer(rebasing: $0[4..<(4 + bodyLength)])) }
                }
            }
            if received.readableBytes > maximumSize + 64 {
                return .invalid(TLSBackendError(.clientHelloTooLarge, "more than \(maximumSize) bytes arrived without a whole ClientHello"))
            }
        }
    }

    /// Explains a connection that ended before a whole ClientHello.
    package func truncated(_ received: ByteBuffer) -> TLSBackendError {
        if case .invalid(let error) = read(received) { return error }
        return TLSBackendError(.truncatedClientHello, "the client closed after \(received.readableBytes) bytes, before a whole ClientHello")
    }

    private static func checkRecordHeader(type: UInt8, major: UInt8, minor: UInt8, received: ByteBuffer) -> TLSBackendError? {
        if type != 22 {
            return sniffNonTLS(received) ?? TLSBackendError(.notTLS, "the first record has content type \(type), not handshake (22); the client does not speak TLS")
        }
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
