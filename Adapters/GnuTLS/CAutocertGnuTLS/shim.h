// Forwarders that Swift cannot call directly. Each has a one-line reason.
#ifndef CAUTOCERT_GNUTLS_SHIM_H
#define CAUTOCERT_GNUTLS_SHIM_H

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/x509.h>

// gnutls_free is a global variable (a function pointer) that Swift 6 rejects as shared mutable state.
static inline void CAutocertGnuTLS_gnutls_free(void *pointer) {
    gnutls_free(pointer);
}

#endif
