// libcrypto's OCSP and X509 API, for the benchmark's C shim.
#include <openssl/ocsp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
