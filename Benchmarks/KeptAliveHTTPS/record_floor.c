// The floor under the OpenSSL backend's per-request cost: what libssl itself spends, with no
// Swift, no NIO and no sockets, to decrypt one small request record and encrypt one small
// response record on a TLS 1.3 connection (the server's side of one kept-alive request), and
// what ERR_clear_error / ERR_peek_error cost next to them.
//
// A client and a server SSL over a BIO pair in one process; the server is timed, the client's
// work is not. ECDSA P-256 key made here; the cipher is whatever the two negotiate by default
// (printed).
//
//   gcc -O2 -o record_floor record_floor.c -lssl -lcrypto && ./record_floor [ITERATIONS]
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

static void die(const char *what) {
    fprintf(stderr, "record_floor: %s failed\n", what);
    ERR_print_errors_fp(stderr);
    exit(1);
}

static SSL_CTX *server_context(void) {
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *certificate = X509_new();
    if (!key || !certificate) die("making the key");
    ASN1_INTEGER_set(X509_get_serialNumber(certificate), 1);
    X509_gmtime_adj(X509_getm_notBefore(certificate), 0);
    X509_gmtime_adj(X509_getm_notAfter(certificate), 86400);
    X509_set_pubkey(certificate, key);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(certificate), "CN", MBSTRING_ASC, (unsigned char *)"bench.test", -1, -1, 0);
    X509_set_issuer_name(certificate, X509_get_subject_name(certificate));
    if (!X509_sign(certificate, key, EVP_sha256())) die("signing the certificate");
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
    SSL_CTX_set_num_tickets(ctx, 0);
    if (SSL_CTX_use_certificate(ctx, certificate) != 1 || SSL_CTX_use_PrivateKey(ctx, key) != 1) die("loading the key");
    return ctx;
}

int main(int argc, char **argv) {
    long iterations = argc > 1 ? atol(argv[1]) : 200000;
    SSL_CTX *sctx = server_context();
    SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
    SSL *server = SSL_new(sctx), *client = SSL_new(cctx);
    BIO *server_bio, *client_bio;
    if (!BIO_new_bio_pair(&server_bio, 1 << 17, &client_bio, 1 << 17)) die("BIO_new_bio_pair");
    SSL_set_bio(server, server_bio, server_bio);
    SSL_set_bio(client, client_bio, client_bio);
    SSL_set_accept_state(server);
    SSL_set_connect_state(client);
    for (int i = 0; i < 100 && !(SSL_is_init_finished(server) && SSL_is_init_finished(client)); i++) {
        SSL_do_handshake(client);
        SSL_do_handshake(server);
    }
    if (!SSL_is_init_finished(server)) die("the handshake");

    static const char request[] = "GET / HTTP/1.1\r\nHost: 127.0.0.1:40000\r\n\r\n";
    static const char response[] =
        "HTTP/1.1 200 OK\r\nContent-Length: 40\r\nContent-Type: text/plain\r\n\r\nhello from the kept-alive benchmark 123\n";
    char buffer[16384];
    double read_ns = 0, write_ns = 0, spare_read_ns = 0;
    for (long i = 0; i < iterations; i++) {
        if (SSL_write(client, request, sizeof request - 1) <= 0) die("the client's SSL_write");
        double t0 = now_ns();
        int n = SSL_read(server, buffer, sizeof buffer);
        double t1 = now_ns();
        int spare = SSL_read(server, buffer, sizeof buffer); // the call that only learns there is nothing more
        double t2 = now_ns();
        int w = SSL_write(server, response, sizeof response - 1);
        double t3 = now_ns();
        if (n != (int)sizeof request - 1 || spare > 0 || w <= 0) die("the server's SSL_read/SSL_write");
        if (SSL_read(client, buffer, sizeof buffer) <= 0) die("the client's SSL_read");
        read_ns += t1 - t0;
        spare_read_ns += t2 - t1;
        write_ns += t3 - t2;
    }
    ERR_clear_error();
    double t0 = now_ns();
    for (long i = 0; i < iterations; i++) ERR_clear_error();
    double t1 = now_ns();
    unsigned long sink = 0;
    for (long i = 0; i < iterations; i++) sink += ERR_peek_error();
    double t2 = now_ns();

    printf("%s, %s, %ld iterations, server side only\n", OpenSSL_version(OPENSSL_VERSION), SSL_get_cipher_name(server), iterations);
    printf("SSL_read of a %zu-byte request record:        %7.0f ns\n", sizeof request - 1, read_ns / iterations);
    printf("SSL_read that finds nothing more (WANT_READ): %7.0f ns\n", spare_read_ns / iterations);
    printf("SSL_write of a %zu-byte response record:     %7.0f ns\n", sizeof response - 1, write_ns / iterations);
    printf("ERR_clear_error:                              %7.0f ns\n", (t1 - t0) / iterations);
    printf("ERR_peek_error:                               %7.0f ns%s\n", (t2 - t1) / iterations, sink ? " (queue not empty)" : "");
    printf("floor per request (one read, one write):      %7.0f ns\n", (read_ns + write_ns) / iterations);
    return 0;
}
