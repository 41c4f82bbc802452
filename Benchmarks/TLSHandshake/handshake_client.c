/*
 * handshake_client: full TLS handshakes against one server, one after another, for the
 * TLS handshake benchmark (docs/benchmarks/tls-handshake.md).
 *
 * Each handshake: a new TCP connection, a new SSL (no session is ever reused, the client
 * session cache is off), status_request sent (RFC 6066 §8), TLS 1.3 only, then
 * close_notify; the client waits for the server to close, then aborts its own side
 * (SO_LINGER 0) so that no TIME_WAIT socket piles up in the kernel and skews later runs.
 * It counts the handshakes that received a staple.
 *
 * usage: handshake_client HOST PORT SERVER_NAME COUNT [expect-staple|expect-no-staple]
 * prints: handshakes=N stapled=M failures=F seconds=S
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int connect_to(const char *host, int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct timeval limit = {5, 0}; /* no server may hang the run */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
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

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: %s HOST PORT SERVER_NAME COUNT [expect-staple|expect-no-staple]\n", argv[0]);
        return 2;
    }
    const char *host = argv[1], *name = argv[3];
    int port = atoi(argv[2]);
    long count = atol(argv[4]);
    const char *expectation = argc > 5 ? argv[5] : "";

    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF); /* never resume */
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);          /* the server's CPU is measured, not ours */
    SSL_CTX_set1_sigalgs_list(ctx, "ECDSA+SHA256");

    long stapled = 0, failures = 0, done = 0;
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (long i = 0; i < count; i++) {
        int fd = connect_to(host, port);
        if (fd < 0) { failures++; continue; }
        SSL *ssl = SSL_new(ctx);
        SSL_set_fd(ssl, fd);
        SSL_set_tlsext_host_name(ssl, name);
        SSL_set_tlsext_status_type(ssl, TLSEXT_STATUSTYPE_ocsp); /* ask for the staple */
        if (SSL_connect(ssl) == 1) {
            const unsigned char *response = NULL;
            long length = SSL_get_tlsext_status_ocsp_resp(ssl, &response);
            if (length > 0 && response != NULL) stapled++;
            done++;
            SSL_shutdown(ssl); /* close_notify (RFC 8446 §6.1) */
            char sink[512];
            while (read(fd, sink, sizeof sink) > 0) {} /* the server's close_notify, then its FIN */
        } else {
            if (failures < 3) ERR_print_errors_fp(stderr);
            failures++;
        }
        SSL_free(ssl);
        struct linger abort_on_close = {1, 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
        close(fd);
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    double seconds = (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;
    printf("handshakes=%ld stapled=%ld failures=%ld seconds=%.3f\n", done, stapled, failures, seconds);
    SSL_CTX_free(ctx);
    if (failures > 0) return 1;
    if (strcmp(expectation, "expect-staple") == 0 && stapled != done) return 1;
    if (strcmp(expectation, "expect-no-staple") == 0 && stapled != 0) return 1;
    return 0;
}
