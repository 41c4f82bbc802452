import AutocertTLS
internal import CAutocertGnuTLS

/// GnuTLS error codes, read into ``TLSBackendError``s (GnuTLS has no error queue: the code
/// and, for alerts, the alert are the whole story).
enum GnuTLSError {
    static func error(_ result: Int32, _ code: TLSBackendError.Code, _ what: String, session: gnutls_session_t? = nil) -> TLSBackendError {
        var entries = ["\(String(cString: gnutls_strerror_name(result) ?? gnutls_strerror(result))) (\(result)): \(String(cString: gnutls_strerror(result)))"]
        if let session, result == GNUTLS_E_FATAL_ALERT_RECEIVED || result == GNUTLS_E_WARNING_ALERT_RECEIVED,
           let alert = gnutls_alert_get_name(gnutls_alert_get(session)) {
            entries.append("alert from the client: \(String(cString: alert))")
        }
        return TLSBackendError(code, "GnuTLS failed \(what)", libraryErrors: entries)
    }

    static func check(_ result: Int32, _ code: TLSBackendError.Code, _ what: String) throws {
        if result < 0 { throw error(result, code, what) }
    }
}
