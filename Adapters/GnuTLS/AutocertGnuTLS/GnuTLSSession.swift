import AutocertTLS
internal import CAutocertGnuTLS
import Glibc
import NIOCore

/// One GnuTLS server session over push/pull functions: the ``TLSServerEngine`` of the GnuTLS
/// backend. Owns its session; keeps its prepared key alive for the retrieve callback.
final class GnuTLSSession: TLSServerEngine {
    let session: gnutls_session_t
    let key: GnuTLSPreparedKey
    /// Asked in the retrieve function; nil when stapling is off, the key has no source or the
    /// client did not ask for a staple.
    let stapleSource: (any StapleSource)?
    /// The staple handed to GnuTLS in this handshake, kept alive as long as the session.
    var staple: GnuTLSStaple?
    private let shared: GnuTLSShared
    /// Ciphertext received and not yet pulled: the received buffer itself when nothing was
    /// pending (no copy), nil when empty.
    var input: ByteBuffer?
    /// Ciphertext GnuTLS pushed, handed to the handler by ``takeOutput()``.
    var output = TLSCiphertextBuffer()

    init(shared: GnuTLSShared, key: GnuTLSPreparedKey, stapleSource: (any StapleSource)?, applicationProtocol: String?) throws {
        var session: gnutls_session_t?
        let flags = GNUTLS_SERVER.rawValue | GNUTLS_NONBLOCK.rawValue | GNUTLS_NO_TICKETS.rawValue
        try GnuTLSError.check(gnutls_init(&session, flags), .libraryFailure, "to create a session")
        self.session = session!
        self.key = key
        self.shared = shared
        self.stapleSource = stapleSource
        try configure(applicationProtocol)
    }

    private func configure(_ applicationProtocol: String?) throws {
        try GnuTLSError.check(gnutls_priority_set(session, shared.priority), .libraryFailure, "to set the priorities")
        try GnuTLSError.check(gnutls_credentials_set(session, GNUTLS_CRD_CERTIFICATE, UnsafeMutableRawPointer(shared.credentials)),
                              .libraryFailure, "to set the credentials")
        let unmanaged = Unmanaged.passUnretained(self).toOpaque()
        gnutls_session_set_ptr(session, unmanaged)
        gnutls_transport_set_ptr(session, unmanaged)
        gnutls_transport_set_push_function(session, gnuTLSPush)
        gnutls_transport_set_pull_function(session, gnuTLSPull)
        gnutls_transport_set_pull_timeout_function(session, gnuTLSPullTimeout)
        if let applicationProtocol {
            // Only the answer already chosen by ALPNPolicy (RFC 7301 §3.2, RFC 8737 §3).
            var bytes = Array(applicationProtocol.utf8)
            let result = bytes.withUnsafeMutableBufferPointer { buffer in
                var datum = gnutls_datum_t(data: buffer.baseAddress, size: UInt32(buffer.count))
                return gnutls_alpn_set_protocols(session, &datum, 1, UInt32(GNUTLS_ALPN_SERVER_PRECEDENCE.rawValue))
            }
            try GnuTLSError.check(result, .libraryFailure, "to set the ALPN protocol")
        }
    }

    deinit { gnutls_deinit(session) }

    func receive(_ ciphertext: ByteBuffer) {
        guard ciphertext.readableBytes > 0 else { return }
        if input == nil {
            input = ciphertext
        } else {
            var ciphertext = ciphertext
            input!.writeBuffer(&ciphertext)
        }
    }

    func handshake() -> TLSEngineStatus {
        for _ in 0..<Self.retryLimit {
            let result = gnutls_handshake(session)
            if result == GNUTLS_E_SUCCESS { return .complete }
            if result == GNUTLS_E_AGAIN || result == GNUTLS_E_INTERRUPTED { return .incomplete }
            if gnutls_error_is_fatal(result) == 0 { continue } // a warning alert: go on
            let error = GnuTLSError.error(result, .handshakeFailed, "the handshake", session: session)
            _ = gnutls_alert_send_appropriate(session, result)
            return .failed(error)
        }
        return .failed(TLSBackendError(.handshakeFailed, "the client sent more than \(Self.retryLimit) warning alerts in a row"))
    }

    /// How many non-fatal results in a row a call tolerates before giving up.
    private static let retryLimit = 16

    var unreadBytes: Int { (input?.readableBytes ?? 0) + gnutls_record_check_pending(session) }

    func read(into plaintext: inout ByteBuffer) -> TLSEngineReadStatus {
        var retries = 0
        while true {
            // A record whose plaintext did not fit (one GnuTLS held part of before this
            // ciphertext came): room for the rest, or for the largest record.
            if plaintext.writableBytes == 0 { plaintext.reserveCapacity(minimumWritableBytes: max(unreadBytes, 16_384)) }
            var result = 0
            plaintext.writeWithUnsafeMutableBytes(minimumWritableBytes: 0) { space in
                result = gnutls_record_recv(session, space.baseAddress, space.count)
                return max(result, 0)
            }
            if result > 0 {
                // GnuTLS pulls exactly one record at a time: with nothing unread there is no
                // record to come, and no call is spent learning that.
                if unreadBytes == 0 { return .wantMore }
                continue
            }
            if result == 0 { return .closed }
            let code = Int32(result)
            if code == GNUTLS_E_AGAIN || code == GNUTLS_E_INTERRUPTED { return .wantMore }
            if gnutls_error_is_fatal(code) == 0 { // a warning alert: go on
                retries += 1
                if retries < Self.retryLimit { continue }
                return .failed(TLSBackendError(.libraryFailure, "the client sent more than \(Self.retryLimit) warning alerts in a row"))
            }
            if code == GNUTLS_E_PREMATURE_TERMINATION {
                return .failed(GnuTLSError.error(code, .unexpectedClose, "to read: the client closed without close_notify"))
            }
            return .failed(GnuTLSError.error(code, .libraryFailure, "to decrypt a record from the client", session: session))
        }
    }

    func write(_ plaintext: ByteBuffer) -> TLSEngineStatus {
        var remaining = plaintext
        output.reserve(forPlaintext: remaining.readableBytes)
        var retries = 0
        while remaining.readableBytes > 0 {
            // One call sends at most one record of at most 2^14 bytes (RFC 8446 §5.1).
            let result = remaining.withUnsafeReadableBytes { gnutls_record_send(session, $0.baseAddress, $0.count) }
            if result < 0 {
                let code = Int32(result)
                retries += 1
                if gnutls_error_is_fatal(code) == 0, retries < Self.retryLimit { continue } // push never blocks
                return .failed(GnuTLSError.error(code, .libraryFailure, "to encrypt application data"))
            }
            remaining.moveReaderIndex(forwardBy: result)
        }
        return .complete
    }

    func shutdown() {
        _ = gnutls_bye(session, GNUTLS_SHUT_WR)
    }

    func takeOutput() -> ByteBuffer? {
        output.take()
    }

    var negotiatedProtocol: String? {
        var datum = gnutls_datum_t()
        guard gnutls_alpn_get_selected_protocol(session, &datum) == GNUTLS_E_SUCCESS, let data = datum.data else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(datum.size)), as: UTF8.self)
    }

    var protocolVersion: String {
        switch gnutls_protocol_get_version(session) {
        case GNUTLS_TLS1_3: "TLSv1.3"
        case GNUTLS_TLS1_2: "TLSv1.2"
        case let other: String(cString: gnutls_protocol_get_name(other))
        }
    }

    /// Whether the staple went out: one was handed over, which happens only when the client
    /// asked, and GnuTLS sends it exactly then (RFC 6066 §8).
    var stapled: Bool { staple != nil }
}
