import AutocertTLS
internal import CAutocertOpenSSL
import NIOCore

/// One OpenSSL server connection (an SSL with two memory BIOs): the ``TLSServerEngine`` of the
/// OpenSSL backend. Owns its SSL; keeps its ``OpenSSLContext`` (and so the callbacks' argument) alive.
final class OpenSSLConnection: TLSServerEngine {
    private let ssl: OpaquePointer
    private let input: OpaquePointer
    private let output: OpaquePointer
    private let context: OpenSSLContext
    let stapled: Bool

    init(context: OpenSSLContext, stapling requested: Bool) throws {
        ERR_clear_error()
        guard let ssl = SSL_new(context.pointer) else {
            throw OpenSSLErrorStack.error(.libraryFailure, "SSL_new failed; OpenSSL is out of memory")
        }
        guard let input = BIO_new(BIO_s_mem()), let output = BIO_new(BIO_s_mem()) else {
            SSL_free(ssl)
            throw OpenSSLErrorStack.error(.libraryFailure, "BIO_new failed; OpenSSL is out of memory")
        }
        _ = CAutocertOpenSSL_BIO_set_mem_eof_return(input, -1) // empty means "retry", not EOF
        SSL_set_bio(ssl, input, output) // the SSL now owns both BIOs
        SSL_set_accept_state(ssl)
        self.ssl = ssl
        self.input = input
        self.output = output
        self.context = context
        self.stapled = requested && context.staple != nil
    }

    deinit { SSL_free(ssl) }

    func receive(_ ciphertext: ByteBuffer) {
        ciphertext.withUnsafeReadableBytes { bytes in
            guard let base = bytes.baseAddress, bytes.count > 0 else { return }
            _ = BIO_write(input, base, Int32(bytes.count)) // a memory BIO takes all or fails on OOM
        }
    }

    func handshake() -> TLSEngineStatus {
        ERR_clear_error()
        let result = SSL_do_handshake(ssl)
        if result == 1 { return .complete }
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            return .incomplete
        default:
            return .failed(OpenSSLErrorStack.error(.handshakeFailed, "the OpenSSL handshake failed; see the library errors for the alert"))
        }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> (count: Int, status: TLSEngineReadStatus) {
        ERR_clear_error()
        let result = SSL_read(ssl, buffer.baseAddress, Int32(min(buffer.count, Int(Int32.max))))
        if result > 0 { return (Int(result), .wantMore) }
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            return (0, .wantMore)
        case SSL_ERROR_ZERO_RETURN:
            return (0, .closed)
        default:
            return (0, .failed(OpenSSLErrorStack.error(.libraryFailure, "OpenSSL failed to decrypt a record from the client")))
        }
    }

    func write(_ plaintext: ByteBuffer) -> TLSEngineStatus {
        guard plaintext.readableBytes > 0 else { return .complete }
        ERR_clear_error()
        let result = plaintext.withUnsafeReadableBytes { SSL_write(ssl, $0.baseAddress, Int32($0.count)) }
        if result > 0 { return .complete }
        return .failed(OpenSSLErrorStack.error(.libraryFailure, "OpenSSL failed to encrypt application data"))
    }

    func shutdown() {
        ERR_clear_error()
        _ = SSL_shutdown(ssl)
    }

    func takeOutput(allocator: ByteBufferAllocator) -> ByteBuffer? {
        let pending = CAutocertOpenSSL_BIO_ctrl_pending(output)
        guard pending > 0 else { return nil }
        var buffer = allocator.buffer(capacity: pending)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: pending) { space in
            Int(max(BIO_read(output, space.baseAddress, Int32(pending)), 0))
        }
        return buffer
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
