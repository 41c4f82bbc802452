// Forwarders that Swift cannot call directly. Each has a one-line reason.
#ifndef CAUTOCERT_OPENSSL_SHIM_H
#define CAUTOCERT_OPENSSL_SHIM_H

#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/evp.h>
#include <openssl/crypto.h>

// Macro over SSL_CTX_callback_ctrl: the status_request callback (RFC 6066 §8).
static inline long CAutocertOpenSSL_SSL_CTX_set_tlsext_status_cb(SSL_CTX *ctx, int (*cb)(SSL *, void *)) {
    return SSL_CTX_set_tlsext_status_cb(ctx, cb);
}

// Macro over SSL_CTX_ctrl: the argument passed to the status_request callback.
static inline long CAutocertOpenSSL_SSL_CTX_set_tlsext_status_arg(SSL_CTX *ctx, void *arg) {
    return SSL_CTX_set_tlsext_status_arg(ctx, arg);
}

// Macro over SSL_ctrl: hands OpenSSL the DER OCSP response to staple (it takes ownership).
static inline long CAutocertOpenSSL_SSL_set_tlsext_status_ocsp_resp(SSL *ssl, unsigned char *resp, long len) {
    return SSL_set_tlsext_status_ocsp_resp(ssl, resp, len);
}

// Macro over CRYPTO_malloc (it adds __FILE__ and __LINE__): the staple must be OpenSSL's memory.
static inline void *CAutocertOpenSSL_OPENSSL_malloc(size_t size) {
    return OPENSSL_malloc(size);
}

// Macro over CRYPTO_free (it adds __FILE__ and __LINE__): a staple OpenSSL refused to take.
static inline void CAutocertOpenSSL_OPENSSL_free(void *pointer) {
    OPENSSL_free(pointer);
}

// Macro over SSL_CTX_ctrl: the lowest protocol version.
static inline int CAutocertOpenSSL_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_min_proto_version(ctx, version);
}

// Macro over SSL_CTX_ctrl: the chain after the leaf.
static inline int CAutocertOpenSSL_SSL_CTX_add1_chain_cert(SSL_CTX *ctx, X509 *x509) {
    return (int)SSL_CTX_add1_chain_cert(ctx, x509);
}

// Macro over SSL_CTX_ctrl: no server-side session cache (no resumption in this backend).
static inline long CAutocertOpenSSL_SSL_CTX_set_session_cache_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_session_cache_mode(ctx, mode);
}

#endif
