#!/usr/bin/env python3
"""Captures real ClientHellos as seeds for ClientHelloFuzzer and the TLS handler targets.

A listener on 127.0.0.1 (a free port) reads the first flight of each connection until it
holds a whole ClientHello (TLS records, RFC 8446 §5.1, until the handshake message's own
length is reached), writes those bytes to a file and closes the connection; the clients
(`openssl s_client`, `gnutls-cli`, `curl`, with the options below) then fail, as they
should. Each client asks for the fuzzers' certificate name, fuzz.test.

Also writes a few seeds derived from a captured ClientHello: the same handshake message
re-split into several records (RFC 8446 §5.1 allows it; the reader's multi-record path),
and followed by a record of garbage. Usage: capture-client-hellos.py OUTPUT_DIRECTORY
"""
import os
import socket
import subprocess
import sys
import threading

NAME = "fuzz.test"


def read_client_hello(conn):
    """The bytes of the first flight up to the end of the first handshake message."""
    conn.settimeout(1)
    data = b""
    handshake = b""
    offset = 0
    while len(data) < 65536:
        try:
            chunk = conn.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        data += chunk
        while len(data) - offset >= 5:
            length = int.from_bytes(data[offset + 3:offset + 5], "big")
            if len(data) - offset - 5 < length:
                break
            handshake += data[offset + 5:offset + 5 + length]
            offset += 5 + length
        if len(handshake) >= 4 and len(handshake) >= 4 + int.from_bytes(handshake[1:4], "big"):
            return data[:offset]
    return data


def capture(command, port_holder, listener):
    """Runs `command` (with {port} filled in) against the listener; returns the ClientHello."""
    result = {}

    def accept():
        conn, _ = listener.accept()
        with conn:
            result["hello"] = read_client_hello(conn)

    thread = threading.Thread(target=accept)
    thread.start()
    args = [part.format(port=port_holder) for part in command]
    subprocess.run(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=20)
    thread.join(timeout=10)
    return result.get("hello", b"")


def resplit(hello, record_size):
    """The handshake bytes of `hello` (one record or several) in records of `record_size`."""
    handshake, offset = b"", 0
    while offset + 5 <= len(hello):
        length = int.from_bytes(hello[offset + 3:offset + 5], "big")
        handshake += hello[offset + 5:offset + 5 + length]
        offset += 5 + length
    version = hello[1:3]
    out = b""
    for start in range(0, len(handshake), record_size):
        piece = handshake[start:start + record_size]
        out += b"\x16" + version + len(piece).to_bytes(2, "big") + piece
    return out


CLIENTS = {
    "openssl-default": ["openssl", "s_client", "-connect", "127.0.0.1:{port}", "-servername", NAME],
    "openssl-status-alpn": ["openssl", "s_client", "-connect", "127.0.0.1:{port}", "-servername", NAME,
                            "-status", "-alpn", "h2,http/1.1"],
    "openssl-tls12": ["openssl", "s_client", "-connect", "127.0.0.1:{port}", "-servername", NAME, "-tls1_2", "-status"],
    "openssl-tls13-groups": ["openssl", "s_client", "-connect", "127.0.0.1:{port}", "-servername", NAME, "-tls1_3",
                             "-groups", "X25519:P-256:P-384:P-521:X448"],
    "openssl-no-sni": ["openssl", "s_client", "-connect", "127.0.0.1:{port}", "-noservername"],
    "openssl-acme-tls": ["openssl", "s_client", "-connect", "127.0.0.1:{port}", "-servername", NAME, "-alpn", "acme-tls/1"],
    "openssl-rsa-sigalgs": ["openssl", "s_client", "-connect", "127.0.0.1:{port}", "-servername", "www." + NAME,
                            "-sigalgs", "RSA-PSS+SHA256:RSA+SHA256"],
    "gnutls-default": ["gnutls-cli", "--insecure", "-p", "{port}", "--sni-hostname", NAME, "127.0.0.1"],
    "gnutls-alpn-ocsp": ["gnutls-cli", "--insecure", "-p", "{port}", "--sni-hostname", NAME, "--alpn", "h2",
                         "--alpn", "http/1.1", "--ocsp", "127.0.0.1"],
    "gnutls-tls12": ["gnutls-cli", "--insecure", "-p", "{port}", "--sni-hostname", NAME,
                     "--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.2", "127.0.0.1"],
    "gnutls-no-sni": ["gnutls-cli", "--insecure", "-p", "{port}", "--disable-sni", "127.0.0.1"],
    "curl-default": ["curl", "-sk", "--max-time", "5", "--resolve", NAME + ":{port}:127.0.0.1", "https://" + NAME + ":{port}/"],
    "curl-http11-status": ["curl", "-sk", "--max-time", "5", "--http1.1", "--cert-status",
                           "--resolve", NAME + ":{port}:127.0.0.1", "https://" + NAME + ":{port}/"],
    "curl-tls12": ["curl", "-sk", "--max-time", "5", "--tlsv1.2", "--tls-max", "1.2",
                   "--resolve", NAME + ":{port}:127.0.0.1", "https://" + NAME + ":{port}/"],
    # Not TLS at all: plain HTTP sent to the TLS port (the reader names it in its error).
    "plain-http-curl": ["curl", "-s", "--max-time", "2", "--resolve", NAME + ":{port}:127.0.0.1", "http://" + NAME + ":{port}/"],
}


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    output = sys.argv[1]
    os.makedirs(output, exist_ok=True)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    hellos = {}
    for name, command in CLIENTS.items():
        hello = capture(command, port, listener)
        if len(hello) < 50 or (hello[0] != 0x16 and not name.startswith("plain")):
            sys.exit(f"{name}: no ClientHello captured ({len(hello)} bytes)")
        hellos[name] = hello
    listener.close()
    hellos["derived-openssl-in-64-byte-records"] = resplit(hellos["openssl-status-alpn"], 64)
    hellos["derived-gnutls-in-7-byte-records"] = resplit(hellos["gnutls-default"], 7)
    hellos["derived-curl-then-garbage-record"] = hellos["curl-default"] + b"\x17\x03\x03\x00\x04abcd"
    for name, hello in hellos.items():
        with open(os.path.join(output, name + ".bin"), "wb") as f:
            f.write(hello)
        print(f"{name}: {len(hello)} bytes")


if __name__ == "__main__":
    main()
