internal import CAutocertOpenSSL
import NIOCore

/// A BIO over the connection's own buffers, in place of two memory BIOs: OpenSSL reads the
/// received ciphertext straight from the buffer NIO read it into and writes its records into
/// one buffer that goes to the socket as is. Memory BIOs cost two BIOs and two BUF_MEMs per
/// connection, a copy in and a copy out, and a zeroing reallocation each time one grew.
enum OpenSSLBufferBIO {
    /// The BIO_METHOD, made once per process; every connection's BIO shares it.
    static func make(for connection: OpenSSLConnection) -> OpaquePointer? {
        guard let method = method.pointer, let bio = BIO_new(method) else { return nil }
        BIO_set_data(bio, Unmanaged.passUnretained(connection).toOpaque())
        BIO_set_init(bio, 1)
        return bio
    }

    private final class Method: @unchecked Sendable { // immutable once made; OpenSSL only reads it
        let pointer: OpaquePointer?
        init() {
            let type = BIO_get_new_index() | BIO_TYPE_SOURCE_SINK
            guard let method = BIO_meth_new(type, "autocert buffer") else { pointer = nil; return }
            _ = BIO_meth_set_write(method, openSSLBufferBIOWrite)
            _ = BIO_meth_set_read(method, openSSLBufferBIORead)
            _ = BIO_meth_set_ctrl(method, openSSLBufferBIOControl)
            _ = BIO_meth_set_create(method, { bio in BIO_set_init(bio, 0); return 1 })
            _ = BIO_meth_set_destroy(method, { bio in
                guard let bio else { return 0 }
                BIO_set_data(bio, nil) // the connection is not ours to release
                BIO_set_init(bio, 0)
                return 1
            })
            pointer = method
        }
    }

    private static let method = Method()

    /// The connection a BIO of this kind belongs to.
    static func connection(_ bio: OpaquePointer?) -> OpenSSLConnection? {
        guard let bio, let data = BIO_get_data(bio) else { return nil }
        return Unmanaged<OpenSSLConnection>.fromOpaque(data).takeUnretainedValue()
    }
}

/// Write: OpenSSL's records go to the connection's output buffer, all of them, at once.
private func openSSLBufferBIOWrite(_ bio: OpaquePointer?, _ data: UnsafePointer<CChar>?, _ length: Int32) -> Int32 {
    BIO_clear_flags(bio, Int32(BIO_FLAGS_READ | BIO_FLAGS_WRITE | BIO_FLAGS_IO_SPECIAL | BIO_FLAGS_SHOULD_RETRY))
    guard length > 0, let data, let connection = OpenSSLBufferBIO.connection(bio) else { return 0 }
    connection.appendOutput(UnsafeRawBufferPointer(start: data, count: Int(length)))
    return length
}

/// Read: ciphertext received so far, or "retry" when there is none (never EOF: the channel
/// reports the end of the connection, not the BIO).
private func openSSLBufferBIORead(_ bio: OpaquePointer?, _ data: UnsafeMutablePointer<CChar>?, _ length: Int32) -> Int32 {
    BIO_clear_flags(bio, Int32(BIO_FLAGS_READ | BIO_FLAGS_WRITE | BIO_FLAGS_IO_SPECIAL | BIO_FLAGS_SHOULD_RETRY))
    guard length > 0, let data, let connection = OpenSSLBufferBIO.connection(bio) else { return 0 }
    let count = connection.takeInput(into: UnsafeMutableRawBufferPointer(start: data, count: Int(length)))
    if count == 0 {
        BIO_set_flags(bio, Int32(BIO_FLAGS_READ | BIO_FLAGS_SHOULD_RETRY))
        return -1
    }
    return Int32(count)
}

/// Control: flush succeeds (the output is taken by the handler), nothing else is supported.
private func openSSLBufferBIOControl(_ bio: OpaquePointer?, _ command: Int32, _ argument: Int, _ pointer: UnsafeMutableRawPointer?) -> Int {
    switch command {
    case BIO_CTRL_FLUSH: 1
    default: 0
    }
}
