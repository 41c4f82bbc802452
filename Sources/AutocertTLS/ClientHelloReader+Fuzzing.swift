import NIOCore

/// The ClientHello reader as the `ClientHelloFuzzer` libFuzzer target (Fuzz/) drives it.
///
/// Exists only for the fuzzers: Fuzz/ is a separate package and cannot see `package`
/// symbols. It behaves like nothing of its own and is not API (SPI `Fuzzing`).
@_spi(Fuzzing) public enum ClientHelloReaderFuzzing {
    /// What a reader made of a byte stream.
    public enum Result: Equatable, Sendable {
        case needMoreData
        case complete(ClientHello)
        case invalid(TLSBackendError.Code)
    }

    /// Feeds `bytes` to a new reader as the handler does: one read per chunk (sizes from
    /// `chunkSizes`, the rest in a last chunk), each read seeing everything received so far.
    /// Stops at the first outcome other than needMoreData. Also returns the reader's
    /// ``ClientHelloReader/bytesExamined``.
    public static func read(_ bytes: [UInt8], chunkSizes: [Int], maximumSize: Int) -> (result: Result, bytesExamined: Int) {
        var reader = ClientHelloReader(maximumSize: maximumSize)
        var received = ByteBuffer()
        var offset = 0
        var sizes = chunkSizes.makeIterator()
        while offset < bytes.count {
            let size = min(max(sizes.next() ?? bytes.count, 1), bytes.count - offset)
            received.writeBytes(bytes[offset..<(offset + size)])
            offset += size
            switch reader.read(received) {
            case .needMoreData: continue
            case .complete(let hello): return (.complete(hello), reader.bytesExamined)
            case .invalid(let error): return (.invalid(error.code), reader.bytesExamined)
            }
        }
        return (.needMoreData, reader.bytesExamined)
    }
}
