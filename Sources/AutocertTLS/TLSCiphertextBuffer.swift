import NIOCore

/// The ciphertext a TLS library writes for one connection, gathered in one buffer that goes to
/// the channel as it is and is written into again once the channel has sent it (swift-nio-ssl
/// does the same): a kept-alive connection's responses cost no allocation here.
///
/// Each backend's write callback (OpenSSL's BIO, GnuTLS's push function) appends to it; the
/// handler takes what is there after a handshake step, a flush or a close.
package struct TLSCiphertextBuffer {
    private var buffer: ByteBuffer?

    /// The first allocation: enough for a whole first flight (certificate chain, staple,
    /// signature) at once.
    static let initialCapacity = 4096
    /// The most capacity kept across hand-offs: one full record (RFC 8446 §5.2: at most
    /// 2^14 + 256 bytes after its 5-byte header). A larger buffer (a large write's) is let go
    /// once the channel has it.
    static let retainedCapacity = 16_384 + 256 + 5
    /// What a record adds to its plaintext at most, for the ciphers negotiated here (TLS 1.3
    /// AEAD: header, content type and tag, 22 bytes; TLS 1.2 GCM: 29), with room to spare.
    static let recordOverhead = 64

    package init() {}

    /// Makes room for the records of `plaintextCount` bytes, so that a large write grows the
    /// buffer once rather than doubling it record by record.
    package mutating func reserve(forPlaintext plaintextCount: Int) {
        let records = (plaintextCount + 16_383) / 16_384
        prepare(forWriting: plaintextCount + records * Self.recordOverhead)
    }

    /// Appends what the library wrote.
    package mutating func append(_ bytes: UnsafeRawBufferPointer) {
        prepare(forWriting: bytes.count)
        buffer!.writeBytes(bytes)
    }

    /// The ciphertext appended since the last call, or nil when there is none. The buffer
    /// returned shares its storage with this one until the next append, which writes into it
    /// again only if the channel has let go of it (else it allocates anew, copying nothing).
    package mutating func take() -> ByteBuffer? {
        guard let taken = buffer, taken.readableBytes > 0 else { return nil }
        buffer!.moveReaderIndex(to: taken.writerIndex)
        return taken
    }

    private mutating func prepare(forWriting count: Int) {
        guard buffer != nil else {
            buffer = ByteBufferAllocator().buffer(capacity: max(count, Self.initialCapacity))
            return
        }
        if buffer!.readableBytes == 0, buffer!.readerIndex > 0 { // all of it was taken: start again at 0
            if buffer!.capacity > Self.retainedCapacity {
                buffer = ByteBufferAllocator().buffer(capacity: max(count, Self.initialCapacity))
                return
            }
            buffer!.clear()
        }
        buffer!.reserveCapacity(minimumWritableBytes: count)
    }
}
