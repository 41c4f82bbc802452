/*
 * first_handshake_client: for the first-handshake benchmark (docs/benchmarks/first-handshake.md),
 * the time from a server's process start to the first TLS handshake that carries a verified
 * OCSP staple for a new name.
 *
 * It tries a handshake every INTERVAL_MS (a new TCP connection and SSL each time, TLS 1.2 or
 * 1.3, SNI NAME, status_request sent, RFC 6066 §8) until one succeeds with:
 *   - the server's chain verified against CA_FILE (Pebble's issuing root) for NAME;
 *   - a stapled OCSP response that is `successful`, whose basic response verifies
 *     (OCSP_basic_verify, RFC 6960 §3.2: signed by the issuer or its delegate), names the
 *     leaf (CertID from the leaf and its issuer), says `good`, and is current (thisUpdate /
 *     nextUpdate, 5 minutes of skew).
 * A handshake that fails or carries no good staple is retried; each attempt may last up to
 * 60 s (a server obtains the certificate during the first handshake).
 *
 * usage: first_handshake_client HOST PORT NAME CA_FILE START_NS DEADLINE_S INTERVAL_MS
 *   START_NS: CLOCK_REALTIME in nanoseconds when the server was started (`date +%s%N`).
 * prints: seconds=S attempts=N (S: from START_NS to the end of the good handshake)
 * exit: 0 on a good stapled handshake, 1 when DEADLINE_S passes first.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static double now_realtime(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int connect_to(const char *host, int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct timeval limit = {60, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    struct sockaddr_in address = {0};
    address.sin_family = AF_INET;
    address.sin_port = htons((unsigned short)port);
    inet_pton(AF_INET, host, &address.sin_addr);
    if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Whether the staple of `ssl` verifies and says good for its leaf; `why` says what failed. */
static int staple_is_good(SSL *ssl, X509_STORE *store, const char **why) {
    const unsigned char *der = NULL;
    long length = SSL_get_tlsext_status_ocsp_resp(ssl, &der);
    if (length <= 0 || der == NULL) { *why = "no staple"; return 0; }
    OCSP_RESPONSE *response = d2i_OCSP_RESPONSE(NULL, &der, length);
    if (response == NULL) { *why = "staple is not an OCSPResponse"; return 0; }
    int good = 0;
    OCSP_BASICRESP *basic = NULL;
    OCSP_CERTID *id = NULL;
    STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl); /* leaf first, as sent */
    X509 *leaf = SSL_get0_peer_certificate(ssl);
    X509 *issuer = chain != NULL && sk_X509_num(chain) > 1 ? sk_X509_value(chain, 1) : NULL;
    if (OCSP_response_status(response) != OCSP_RESPONSE_STATUS_SUCCESSFUL) { *why = "response status not successful"; goto done; }
    if ((basic = OCSP_response_get1_basic(response)) == NULL) { *why = "no basic response"; goto done; }
    if (leaf == NULL || issuer == NULL) { *why = "no issuer in the chain"; goto done; }
    if (OCSP_basic_verify(basic, chain, store, 0) <= 0) { *why = "the staple's signature does not verify"; goto done; }
    if ((id = OCSP_cert_to_id(NULL, leaf, issuer)) == NULL) { *why = "no CertID"; goto done; }
    int status = -1, reason = -1;
    ASN1_GENERALIZEDTIME *revoked = NULL, *this_update = NULL, *next_update = NULL;
    if (!OCSP_resp_find_status(basic, id, &status, &reason, &revoked, &this_update, &next_update)) { *why = "the staple is for another certificate"; goto done; }
    if (status != V_OCSP_CERTSTATUS_GOOD) { *why = "the staple does not say good"; goto done; }
    if (!OCSP_check_validity(this_update, next_update, 300, -1)) { *why = "the staple is not current"; goto done; }
    good = 1;
done:
    OCSP_CERTID_free(id);
    OCSP_BASICRESP_free(basic);
    OCSP_RESPONSE_free(response);
    return good;
}

int main(int argc, char **argv) {
    if (argc < 8) {
        fprintf(stderr, "usage: %s HOST PORT NAME CA_FILE START_NS DEADLINE_S INTERVAL_MS\n", argv[0]);
        return 2;
    }
    const char *host = argv[1], *name = argv[3], *ca_file = argv[4];
    int port = atoi(argv[2]);
    double start = strtod(argv[5], NULL) / 1e9;
    double deadline = start + strtod(argv[6], NULL);
    long interval_ms = atol(argv[7]);

    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    if (SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
        fprintf(stderr, "first_handshake_client: cannot read %s\n", ca_file);
        return 2;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    X509_STORE *store = SSL_CTX_get_cert_store(ctx);

    long attempts = 0;
    const char *last = "no attempt";
    while (now_realtime() < deadline) {
        attempts++;
        int fd = connect_to(host, port);
        if (fd < 0) {
            last = "connection refused";
        } else {
            SSL *ssl = SSL_new(ctx);
            SSL_set_fd(ssl, fd);
            SSL_set_tlsext_host_name(ssl, name);
            SSL_set1_host(ssl, name); /* RFC 6125 name check */
            SSL_set_tlsext_status_type(ssl, TLSEXT_STATUSTYPE_ocsp);
            int good = 0;
            if (SSL_connect(ssl) == 1) {
                double at = now_realtime();
                if (SSL_get_verify_result(ssl) != X509_V_OK) last = "the chain does not verify";
                else good = staple_is_good(ssl, store, &last);
                if (good) printf("seconds=%.3f attempts=%ld\n", at - start, attempts);
                SSL_shutdown(ssl);
            } else {
                unsigned long error = ERR_peek_last_error();
                last = error ? ERR_reason_error_string(error) : "handshake failed";
                if (last == NULL) last = "handshake failed";
            }
            ERR_clear_error();
            SSL_free(ssl);
            close(fd);
            if (good) {
                SSL_CTX_free(ctx);
                return 0;
            }
        }
        struct timespec pause = {interval_ms / 1000, (interval_ms % 1000) * 1000000L};
        nanosleep(&pause, NULL);
    }
    fprintf(stderr, "first_handshake_client: no good stapled handshake within %s s after %ld attempts; last: %s\n",
            argv[6], attempts, last);
    SSL_CTX_free(ctx);
    return 1;
}
