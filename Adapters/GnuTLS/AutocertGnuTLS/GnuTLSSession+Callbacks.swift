import AutocertTLS
internal import CAutocertGnuTLS
import Glibc
import NIOCore

// MARK: C callbacks

/// Push function: GnuTLS's ciphertext goes to the session's output buffer.
func gnuTLSPush(_ pointer: gnutls_transport_ptr_t?, _ data: UnsafeRawPointer?, _ length: Int) -> Int {
    let session = Unmanaged<GnuTLSSession>.fromOpaque(pointer!).takeUnretainedValue()
    session.output.append(UnsafeRawBufferPointer(start: data, count: length))
    return length
}

/// Pull function: ciphertext received so far, or EAGAIN when there is none.
func gnuTLSPull(_ pointer: gnutls_transport_ptr_t?, _ data: UnsafeMutableRawPointer?, _ length: Int) -> Int {
    let session = Unmanaged<GnuTLSSession>.fromOpaque(pointer!).takeUnretainedValue()
    let count = min(length, session.input?.readableBytes ?? 0)
    guard count > 0, let data else {
        gnutls_transport_set_errno(session.session, EAGAIN)
        return -1
    }
    session.input!.withUnsafeReadableBytes { data.copyMemory(from: $0.baseAddress!, byteCount: count) }
    session.input!.moveReaderIndex(forwardBy: count)
    if session.input!.readableBytes == 0 { session.input = nil }
    return count
}

/// Pull-timeout function: never waits; says whether ciphertext is there.
func gnuTLSPullTimeout(_ pointer: gnutls_transport_ptr_t?, _ milliseconds: UInt32) -> Int32 {
    let session = Unmanaged<GnuTLSSession>.fromOpaque(pointer!).takeUnretainedValue()
    return (session.input?.readableBytes ?? 0) > 0 ? 1 : 0
}

/// Certificate retrieve function (gnutls_certificate_set_retrieve_function3): the chain and key
/// chosen for this connection, and the current answer of its ``StapleSource`` when the client
/// asked for a staple (the session has a source only then); GnuTLS sends it only if asked.
func gnuTLSRetrieveCertificate(
    _ session: gnutls_session_t?, _ info: UnsafePointer<gnutls_cert_retr_st>?,
    _ certificates: UnsafeMutablePointer<UnsafeMutablePointer<gnutls_pcert_st>?>?, _ certificateCount: UnsafeMutablePointer<UInt32>?,
    _ ocsp: UnsafeMutablePointer<UnsafeMutablePointer<gnutls_ocsp_data_st>?>?, _ ocspCount: UnsafeMutablePointer<UInt32>?,
    _ privateKey: UnsafeMutablePointer<gnutls_privkey_t?>?, _ flags: UnsafeMutablePointer<UInt32>?
) -> Int32 {
    guard let session, let pointer = gnutls_session_get_ptr(session) else { return -1 }
    let owner = Unmanaged<GnuTLSSession>.fromOpaque(pointer).takeUnretainedValue()
    let key = owner.key
    certificates?.pointee = key.certificates
    certificateCount?.pointee = UInt32(key.certificateCount)
    privateKey?.pointee = key.privateKey
    if let der = owner.stapleSource?.currentStaple(), !der.isEmpty {
        let staple = key.staple(der)
        owner.staple = staple
        ocsp?.pointee = staple.data
        ocspCount?.pointee = 1
    } else {
        ocsp?.pointee = nil
        ocspCount?.pointee = 0
    }
    flags?.pointee = 0 // the key stays ours (no GNUTLS_CERT_RETR_DEINIT_ALL)
    return 0
}
