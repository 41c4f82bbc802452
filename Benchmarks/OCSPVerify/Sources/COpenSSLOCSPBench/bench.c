#include "COpenSSLOCSPBench.h"

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <stdlib.h>
#include <string.h>

struct COpenSSLOCSPBench_context {
    X509 *issuer;
    X509 *cert;
    X509_STORE *store;
    STACK_OF(X509) *trusted;
    OCSP_CERTID *cert_id;
};

COpenSSLOCSPBench_context *COpenSSLOCSPBench_context_new(const uint8_t *issuer_der, size_t issuer_len,
                                                         const uint8_t *cert_der, size_t cert_len) {
    COpenSSLOCSPBench_context *context = calloc(1, sizeof(*context));
    if (context == NULL) return NULL;
    const unsigned char *p = issuer_der;
    context->issuer = d2i_X509(NULL, &p, (long)issuer_len);
    p = cert_der;
    context->cert = d2i_X509(NULL, &p, (long)cert_len);
    context->store = X509_STORE_new();
    context->trusted = sk_X509_new_null();
    if (context->issuer == NULL || context->cert == NULL || context->store == NULL || context->trusted == NULL) goto fail;
    // The issuer is the trust anchor even when it is an intermediate (as `-partial_chain`).
    if (X509_STORE_add_cert(context->store, context->issuer) != 1) goto fail;
    X509_STORE_set_flags(context->store, X509_V_FLAG_PARTIAL_CHAIN);
    if (sk_X509_push(context->trusted, context->issuer) <= 0) goto fail;
    X509_up_ref(context->issuer);
    context->cert_id = OCSP_cert_to_id(NULL, context->cert, context->issuer);
    if (context->cert_id == NULL) goto fail;
    return context;
fail:
    COpenSSLOCSPBench_context_free(context);
    return NULL;
}

void COpenSSLOCSPBench_context_free(COpenSSLOCSPBench_context *context) {
    if (context == NULL) return;
    OCSP_CERTID_free(context->cert_id);
    sk_X509_pop_free(context->trusted, X509_free);
    X509_STORE_free(context->store);
    X509_free(context->cert);
    X509_free(context->issuer);
    free(context);
}

int COpenSSLOCSPBench_verify(COpenSSLOCSPBench_context *context, const uint8_t *response, size_t length) {
    int result = -1;
    const unsigned char *p = response;
    OCSP_BASICRESP *basic = NULL;
    OCSP_RESPONSE *parsed = d2i_OCSP_RESPONSE(NULL, &p, (long)length);
    if (parsed == NULL || p != response + length) goto end;
    if (OCSP_response_status(parsed) != OCSP_RESPONSE_STATUS_SUCCESSFUL) goto end;
    basic = OCSP_response_get1_basic(parsed);
    if (basic == NULL) goto end;
    // OCSP_TRUSTOTHER: a signer found among `trusted` (the issuer) is trusted without chain
    // building; a delegated signer (from the response's certs) is chained to the store's
    // issuer and checked for id-kp-OCSPSigning by ocsp_check_issuer.
    if (OCSP_basic_verify(basic, context->trusted, context->store, OCSP_TRUSTOTHER) != 1) goto end;
    int status = -1, reason = -1;
    ASN1_GENERALIZEDTIME *revoked = NULL, *this_update = NULL, *next_update = NULL;
    if (OCSP_resp_find_status(basic, context->cert_id, &status, &reason, &revoked, &this_update, &next_update) != 1) goto end;
    if (OCSP_check_validity(this_update, next_update, 300, -1) != 1) goto end;
    result = status;
end:
    OCSP_BASICRESP_free(basic);
    OCSP_RESPONSE_free(parsed);
    return result;
}

void COpenSSLOCSPBench_last_error(char *buffer, size_t size) {
    if (size == 0) return;
    buffer[0] = 0;
    unsigned long code;
    size_t used = 0;
    while ((code = ERR_get_error()) != 0 && used + 2 < size) {
        ERR_error_string_n(code, buffer + used, size - used);
        used = strlen(buffer);
        if (used + 2 < size) { buffer[used++] = ';'; buffer[used] = 0; }
    }
}
