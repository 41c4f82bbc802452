import NIOCore

/// What a library-specific connection object reports after a step (swift-nio-ssl's model).
package enum TLSEngineStatus {
    case complete
    case incomplete
    case failed(TLSBackendError)
}

/// What reading plaintext from a library-specific connection object reports.
package enum TLSEngineReadStatus {
    /// The library needs more ciphertext.
    case wantMore
    /// The peer sent close_notify (RFC 8446 §6.1).
    case closed
    case failed(TLSBackendError)
}

/// One server-side TLS connection of a C library, owning its C pointers, fed ciphertext from
/// the channel's buffers and drained of ciphertext into one. Event-loop bound; never `Sendable`.
///
/// The backend creates it once the certificate is known: the ``CertifiedKey`` is loaded
/// before the library sees a byte, and the ALPN answer is decided (``ALPNPolicy``).
package protocol TLSServerEngine: AnyObject {
    /// Hands ciphertext from the peer to the library.
    func receive(_ ciphertext: ByteBuffer)
    /// Advances the handshake as far as the received ciphertext allows.
    func handshake() -> TLSEngineStatus
    /// Received ciphertext the library has not read, plus plaintext it has decrypted and not
    /// returned: 0 means a ``read(into:)`` would find nothing. Otherwise an upper bound on the
    /// plaintext of the whole records received (a record's plaintext is shorter than its
    /// ciphertext, RFC 8446 §5.2), which sizes the buffer a read decrypts into.
    var unreadBytes: Int { get }
    /// Decrypts every whole record received so far into `plaintext`'s writable bytes, growing
    /// it when they do not fit, and stops once the received ciphertext is used up, with no
    /// library call only to learn that: `.wantMore` then means "nothing until more ciphertext".
    /// What it decrypted before `.closed` or `.failed` is in `plaintext` too.
    func read(into plaintext: inout ByteBuffer) -> TLSEngineReadStatus
    /// Encrypts `plaintext` in records of at most 2^14 bytes (RFC 8446 §5.1), as few as that
    /// allows; the records are then in ``takeOutput()``.
    func write(_ plaintext: ByteBuffer) -> TLSEngineStatus
    /// Queues close_notify (RFC 8446 §6.1).
    func shutdown()
    /// The ciphertext the library produced since the last call, or nil when there is none.
    func takeOutput() -> ByteBuffer?
    /// The ALPN protocol negotiated (RFC 7301 §3.2).
    var negotiatedProtocol: String? { get }
    /// The version negotiated, as the library names it.
    var protocolVersion: String { get }
    /// Whether the library sent the staple in this handshake.
    var stapled: Bool { get }
}

/// Makes the engine for a connection once its certificate is chosen.
package typealias TLSEngineFactory =
    (_ key: CertifiedKey, _ hello: ClientHello, _ applicationProtocol: String?) throws -> any TLSServerEngine

extension ByteBuffer {
    /// A TLS alert record (RFC 8446 §6), fatal, sent before any library has started.
    package static func tlsAlert(_ description: UInt8, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 7)
        buffer.writeBytes([21, 3, 3, 0, 2, 2, description])
        return buffer
    }
}
