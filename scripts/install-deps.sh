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
