import AutocertTLS
internal import CAutocertOpenSSL

/// An SSL_CTX loaded with one certificate: chain, key, versions, and the callbacks that ask
/// the certificate's ``StapleSource`` and apply the handler's ALPN answer.
///
/// Immutable once made, so connections on any thread share it (SSL_new only reads it). It
/// holds nothing of the staple itself: a refreshed staple reaches the next handshake through
/// the status_request callback, with no new SSL_CTX.
final class OpenSSLContext: @unchecked Sendable {
    let pointer: OpaquePointer
    /// Asked in the status_request callback; nil when stapling is off or the key has none.
    let stapleSource: (any StapleSource)?

    init(key: CertifiedKey, configuration: TLSServerConfiguration) throws {
        ERR_clear_error()
        guard let ctx = SSL_CTX_new(TLS_server_method()) else {
            throw OpenSSLErrorStack.error(.libraryFailure, "SSL_CTX_new failed; OpenSSL is out of memory or misconfigured")
        }
        pointer = ctx
        stapleSource = configuration.staplingEnabled ? key.stapleSource : nil
        let minimum: Int32 = configuration.minimumVersion == .tls13 ? TLS1_3_VERSION : TLS1_2_VERSION
        _ = CAutocertOpenSSL_SSL_CTX_set_min_proto_version(ctx, minimum)
        _ = SSL_CTX_set_options(ctx, 1 << 30) // SSL_OP_NO_RENEGOTIATION (a macro Swift cannot import)
        _ = SSL_CTX_set_num_tickets(ctx, 0) // no resumption: no tickets to mint (RFC 8446 §4.6.1)
        _ = CAutocertOpenSSL_SSL_CTX_set_session_cache_mode(ctx, 0) // SSL_SESS_CACHE_OFF
        try load(key)
        SSL_CTX_set_alpn_select_cb(ctx, openSSLSelectALPN, nil)
        if stapleSource != nil {
            _ = CAutocertOpenSSL_SSL_CTX_set_tlsext_status_cb(ctx, openSSLSendStaple)
            _ = CAutocertOpenSSL_SSL_CTX_set_tlsext_status_arg(ctx, Unmanaged.passUnretained(self).toOpaque())
        }
    }

    deinit { SSL_CTX_free(pointer) }

    private func load(_ key: CertifiedKey) throws {
        for (index, der) in key.certificateChain.enumerated() {
            let x509 = der.withUnsafeBufferPointer { buffer -> OpaquePointer? in
                var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
                return d2i_X509(nil, &cursor, buffer.count)
            }
            guard let x509 else {
                throw OpenSSLErrorStack.error(.invalidCertifiedKey, "certificate \(index) of the chain is not valid DER X.509")
            }
            defer { X509_free(x509) }
            let loaded = index == 0 ? SSL_CTX_use_certificate(pointer, x509) : CAutocertOpenSSL_SSL_CTX_add1_chain_cert(pointer, x509)
            guard loaded == 1 else {
                throw OpenSSLErrorStack.error(.invalidCertifiedKey, "OpenSSL refused certificate \(index) of the chain")
            }
        }
        let privateKey = key.privateKey.withUnsafeBufferPointer { buffer -> OpaquePointer? in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_AutoPrivateKey(nil, &cursor, buffer.count)
        }
        guard let privateKey else {
            throw OpenSSLErrorStack.error(.invalidCertifiedKey, "the private key is not DER PKCS#8, SEC 1 or PKCS#1")
        }
        defer { EVP_PKEY_free(privateKey) }
        guard SSL_CTX_use_PrivateKey(pointer, privateKey) == 1, SSL_CTX_check_private_key(pointer) == 1 else {
            throw OpenSSLErrorStack.error(.invalidCertifiedKey, "the private key does not match the leaf certificate")
        }
    }
}

/// status_request callback (RFC 6066 §8): OpenSSL calls it only when the client asked. Asks
/// the certificate's source for its current staple and hands OpenSSL a copy in its own
/// memory (it frees it with the connection); no staple now means no CertificateStatus.
private func openSSLSendStaple(_ ssl: OpaquePointer?, _ arg: UnsafeMutableRawPointer?) -> Int32 {
    guard let ssl, let arg else { return SSL_TLSEXT_ERR_NOACK }
    let context = Unmanaged<OpenSSLContext>.fromOpaque(arg).takeUnretainedValue()
    guard let staple = context.stapleSource?.currentStaple(), !staple.isEmpty,
          let copy = CAutocertOpenSSL_OPENSSL_malloc(staple.count) else {
        return SSL_TLSEXT_ERR_NOACK
    }
    staple.withUnsafeBytes { copy.copyMemory(from: $0.baseAddress!, byteCount: staple.count) }
    guard CAutocertOpenSSL_SSL_set_tlsext_status_ocsp_resp(ssl, copy.assumingMemoryBound(to: UInt8.self), staple.count) == 1 else {
        CAutocertOpenSSL_OPENSSL_free(copy)
        return SSL_TLSEXT_ERR_NOACK
    }
    OpenSSLBufferBIO.connection(SSL_get_rbio(ssl))?.stapled = true
    return SSL_TLSEXT_ERR_OK
}

/// ALPN callback (RFC 7301 §3.2): applies the answer ``ALPNPolicy`` already chose for this
/// connection, pointing into the client's list; no answer means no ALPN extension.
private func openSSLSelectALPN(
    _ ssl: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafePointer<UInt8>?>?, _ outLength: UnsafeMutablePointer<UInt8>?,
    _ input: UnsafePointer<UInt8>?, _ inputLength: UInt32, _ arg: UnsafeMutableRawPointer?
) -> Int32 {
    guard let ssl, let out, let outLength, let input,
          let answer = OpenSSLBufferBIO.connection(SSL_get_rbio(ssl))?.applicationProtocol else { return SSL_TLSEXT_ERR_NOACK }
    let list = UnsafeBufferPointer(start: input, count: Int(inputLength))
    var index = 0
    while index < list.count {
        let length = Int(list[index])
        guard length > 0, index + 1 + length <= list.count else { return SSL_TLSEXT_ERR_NOACK } // malformed
        if list[(index + 1)...(index + length)].elementsEqual(answer.utf8) {
            out.pointee = input + index + 1
            outLength.pointee = UInt8(length)
            return SSL_TLSEXT_ERR_OK
        }
        index += 1 + length
    }
    return SSL_TLSEXT_ERR_NOACK
}
