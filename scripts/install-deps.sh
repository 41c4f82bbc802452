#!/usr/bin/env bash
# Installs, when missing, every system package the build, the tests and the demo need.
# Safe to run again: it installs nothing that is already there.
set -euo pipefail

packages=(
  libssl-dev          # OpenSSL backend, benchmark shim
  libgnutls28-dev     # GnuTLS backend
  libcurl4-openssl-dev # HTTP transport
  openssl             # `openssl ocsp` responder, `openssl s_client` in tests
  gnutls-bin          # `gnutls-cli --ocsp` in tests
  pebble              # Let's Encrypt's ACME test server and pebble-challtestsrv
  postgresql          # PostgresStorage tests: each starts its own server (initdb, postgres, psql)
  util-linux          # setpriv: runs initdb and postgres as the postgres user when root
  pkg-config
  curl
  nghttp2-client      # nghttp and h2load: HTTP/2 clients in the Hummingbird tests and benchmark
)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Installing postgresql may start Debian's default cluster (port 5432); the tests start their
# own servers on free ports and need only the binaries and the postgres user.
for tool in setpriv; do
  command -v "$tool" >/dev/null || { echo "install-deps: $tool (util-linux) is missing" >&2; exit 1; }
done
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || { echo "install-deps: PostgreSQL's server binaries are missing" >&2; exit 1; }
