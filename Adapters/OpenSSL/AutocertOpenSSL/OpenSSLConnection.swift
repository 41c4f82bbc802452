import AutocertTLS
internal import CAutocertOpenSSL
import NIOCore

/// One OpenSSL server connection (an SSL over an ``OpenSSLBufferBIO``): the ``TLSServerEngine`` of the
/// OpenSSL backend. Owns its SSL; keeps its ``OpenSSLContext`` (and so the callbacks' argument) alive.
final class OpenSSLConnection: TLSServerEngine {
    private var ssl: OpaquePointer!
    private let context: OpenSSLContext
    /// Whether the status_request callback handed OpenSSL a staple in this handshake.
    var stapled = false
    /// The ALPN answer ``ALPNPolicy`` chose, applied by the ALPN callback (nil: none).
    let applicationProtocol: String?
    /// Ciphertext received and not yet read by OpenSSL; nil when empty (see ``OpenSSLBufferBIO``).
    private var input: ByteBuffer?
    /// Ciphertext OpenSSL wrote, handed to the handler by ``takeOutput()``.
    private var output = TLSCiphertextBuffer()

    init(context: OpenSSLContext, applicationProtocol: String?) throws {
        self.context = context
        self.applicationProtocol = applicationProtocol
        OpenSSLErrorStack.clearStale()
        guard let ssl = SSL_new(context.pointer) else {
            throw OpenSSLErrorStack.error(.libraryFailure, "SSL_new failed; OpenSSL is out of memory")
        }
        self.ssl = ssl
        guard let bio = OpenSSLBufferBIO.make(for: self) else {
            throw OpenSSLErrorStack.error(.libraryFailure, "BIO_new failed; OpenSSL is out of memory")
        }
        SSL_set_bio(ssl, bio, bio) // the SSL now owns the BIO (one reference for both directions)
        SSL_set_accept_state(ssl)
    }

    /// Called by the BIO: copies up to `space.count` received bytes into `space`.
    func takeInput(into space: UnsafeMutableRawBufferPointer) -> Int {
        guard let available = input?.readableBytes, available > 0 else { return 0 }
        let count = min(available, space.count)
        input!.withUnsafeReadableBytes { space.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: count) }
        if count == available { input = nil } else { input!.moveReaderIndex(forwardBy: count) }
        return count
    }

    /// Called by the BIO: appends a record OpenSSL wrote.
    func appendOutput(_ bytes: UnsafeRawBufferPointer) {
        output.append(bytes)
    }

    deinit { if let ssl { SSL_free(ssl) } }

    func receive(_ ciphertext: ByteBuffer) {
        guard ciphertext.readableBytes > 0 else { return }
        if input == nil {
            input = ciphertext // kept as it came: no copy
        } else {
            var ciphertext = ciphertext
            input!.writeBuffer(&ciphertext)
        }
    }

    func handshake() -> TLSEngineStatus {
        OpenSSLErrorStack.clearStale()
        let result = SSL_do_handshake(ssl)
        if result == 1 { return .complete }
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            return .incomplete
        default:
            return .failed(OpenSSLErrorStack.error(.handshakeFailed, "the OpenSSL handshake failed; see the library errors for the alert"))
        }
    }

    var unreadBytes: Int { (input?.readableBytes ?? 0) + Int(SSL_pending(ssl)) }

    func read(into plaintext: inout ByteBuffer) -> TLSEngineReadStatus {
        while true {
            // A record whose plaintext did not fit (one OpenSSL held part of before this
            // ciphertext came): room for the rest, or for the largest record.
            if plaintext.writableBytes == 0 { plaintext.reserveCapacity(minimumWritableBytes: max(unreadBytes, 16_384)) }
            OpenSSLErrorStack.clearStale()
            var result: Int32 = 0
            plaintext.writeWithUnsafeMutableBytes(minimumWritableBytes: 0) { space in
                result = SSL_read(ssl, space.baseAddress, Int32(clamping: space.count))
                return max(Int(result), 0)
            }
            if result > 0 {
                // Without read-ahead, OpenSSL reads exactly one record at a time: with nothing
                // unread there is no record to come, and no SSL_read is spent learning that.
                if unreadBytes == 0 { return .wantMore }
                continue
            }
            switch SSL_get_error(ssl, result) {
            case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
                return .wantMore
            case SSL_ERROR_ZERO_RETURN:
                return .closed
            default:
                return .failed(OpenSSLErrorStack.error(.libraryFailure, "OpenSSL failed to decrypt a record from the client"))
            }
        }
    }

    func write(_ plaintext: ByteBuffer) -> TLSEngineStatus {
        var remaining = plaintext
        output.reserve(forPlaintext: remaining.readableBytes)
        while remaining.readableBytes > 0 {
            // SSL_write cuts its input in records of at most 2^14 bytes (RFC 8446 §5.1) and,
            // without SSL_MODE_ENABLE_PARTIAL_WRITE, takes all of it or fails.
            let chunk = remaining.readSlice(length: min(remaining.readableBytes, Self.largestWrite))!
            OpenSSLErrorStack.clearStale()
            let result = chunk.withUnsafeReadableBytes { SSL_write(ssl, $0.baseAddress, Int32($0.count)) }
            guard result > 0 else {
                return .failed(OpenSSLErrorStack.error(.libraryFailure, "OpenSSL failed to encrypt application data"))
            }
        }
        return .complete
    }

    /// The most one SSL_write is given (its length is an int): 1 GiB, a whole number of records.
    private static let largestWrite = 1 << 30

    func shutdown() {
        OpenSSLErrorStack.clearStale()
        _ = SSL_shutdown(ssl)
    }

    func takeOutput() -> ByteBuffer? {
        output.take()
    }

    var negotiatedProtocol: String? {
        var data: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &data, &length)
        guard let data, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    var protocolVersion: String { String(cString: SSL_get_version(ssl)) }
}
