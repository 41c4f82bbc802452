import AutocertTLS
internal import CAutocertOpenSSL

/// OpenSSL's thread-local error queue (ERR_get_error), read into strings.
enum OpenSSLErrorStack {
    /// Empties the queue and returns its entries, oldest first.
    static func drain() -> [String] {
        var entries: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { return entries }
            var text = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &text, text.count)
            entries.append(String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
    }

    /// Empties the queue if something is in it: SSL_get_error reads the queue, so it must be
    /// empty before an I/O call (SSL_get_error(3)), or a stale entry turns WANT_READ into a
    /// failure. Every failure reported here drains it, so it is seldom non-empty (an ignored
    /// SSL_shutdown result, other code on this event loop's thread); ERR_peek_error costs a
    /// fifth of ERR_clear_error, which resets all 16 slots every call (OpenSSL 3.0,
    /// Benchmarks/KeptAliveHTTPS/record_floor.c).
    static func clearStale() {
        if ERR_peek_error() != 0 { ERR_clear_error() }
    }

    /// A ``TLSBackendError`` carrying the drained queue.
    static func error(_ code: TLSBackendError.Code, _ reason: String) -> TLSBackendError {
        TLSBackendError(code, reason, libraryErrors: drain())
    }
}
