#ifndef COPENSSL_OCSP_BENCH_H
#define COPENSSL_OCSP_BENCH_H

#include <stddef.h>
#include <stdint.h>

/// What OpenSSL needs to check responses for one certificate, prepared once (as
/// OCSPSubject is prepared once on the Swift side).
typedef struct COpenSSLOCSPBench_context COpenSSLOCSPBench_context;

/// Prepares the issuer (trusted, in an X509_STORE with X509_V_FLAG_PARTIAL_CHAIN) and the
/// certificate's SHA-1 CertID. NULL on failure.
COpenSSLOCSPBench_context *COpenSSLOCSPBench_context_new(const uint8_t *issuer_der, size_t issuer_len,
                                                         const uint8_t *cert_der, size_t cert_len);
void COpenSSLOCSPBench_context_free(COpenSSLOCSPBench_context *context);

/// d2i_OCSP_RESPONSE, OCSP_response_status, OCSP_response_get1_basic, OCSP_basic_verify
/// (flags OCSP_TRUSTOTHER), OCSP_resp_find_status, OCSP_check_validity (5 min skew).
/// Returns V_OCSP_CERTSTATUS_GOOD (0), _REVOKED (1) or _UNKNOWN (2), or -1 when any step fails.
int COpenSSLOCSPBench_verify(COpenSSLOCSPBench_context *context, const uint8_t *response, size_t length);

/// The OpenSSL error queue as text (and cleared), for diagnostics.
void COpenSSLOCSPBench_last_error(char *buffer, size_t size);

#endif
