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

    /// A ``TLSBackendError`` carrying the drained queue.
    static func error(_ code: TLSBackendError.Code, _ reason: String) -> TLSBackendError {
        TLSBackendError(code, reason, libraryErrors: drain())
    }
}
