#!/usr/bin/env bash
# Regenerates the captured seeds of the fuzz targets in Fuzz/Seeds/TARGET (docs/testing.md,
# "Fuzzing"). Only the captured files (named after their source: openssl-…, pebble-…) are
# replaced; the hand-written ones (rfc…) and those `scripts/fuzz.sh minimize` added (40 hex
# digits) are left alone.
#
#   ClientHelloFuzzer (and the TLS handler targets): the ClientHellos of openssl s_client,
#     gnutls-cli and curl, captured by a listener on 127.0.0.1 (capture-client-hellos.py).
#   ACMEResponseFuzzer: every answer the ACME client received from a real Pebble during an
#     issuance, an alternate chain, renewal information and failures (the test
#     FuzzSeedCaptureTests, run with AUTOCERT_FUZZ_SEEDS set).
#   StoredRecordFuzzer: records of the certificates Pebble issued in that run, as
#     CertificateRecord stores them (PKCS #8 key, then the chain), and the same with the
#     key in its traditional form (SEC 1, PKCS #1), converted by `openssl pkey`.
#   OCSPResponseFuzzer: none here; scripts/fuzz.sh seeds it from the OCSP vector corpus.
#
# Needs what scripts/install-deps.sh installs (openssl, gnutls-bin, curl, pebble).
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
seeds="$root/Fuzz/Seeds"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

replace_captured() {  # TARGET: removes the captured seeds, keeps the others
  mkdir -p "$seeds/$1"
  find "$seeds/$1" -type f \( -name 'openssl-*' -o -name 'gnutls-*' -o -name 'curl-*' -o -name 'derived-*' \
    -o -name 'plain-*' -o -name 'pebble-*' \) -delete
}

echo "== ClientHellos"
replace_captured ClientHelloFuzzer
python3 "$seeds/capture-client-hellos.py" "$seeds/ClientHelloFuzzer"

echo "== Pebble's answers"
cd "$root"
swift build --build-tests
AUTOCERT_FUZZ_SEEDS="$tmp" swift test --skip-build --filter FuzzSeedCaptureTests
replace_captured ACMEResponseFuzzer
for f in "$tmp"/acme/*; do cp "$f" "$seeds/ACMEResponseFuzzer/pebble-$(basename "$f")"; done

echo "== Stored records"
replace_captured StoredRecordFuzzer
for f in "$tmp"/record/*.pem; do
  name="$(basename "$f" .pem)"
  cp "$f" "$seeds/StoredRecordFuzzer/$name-pkcs8.pem"
  # The key block, converted to its traditional form, then the chain as it was.
  awk '/-----BEGIN .*PRIVATE KEY-----/,/-----END .*PRIVATE KEY-----/' "$f" > "$tmp/key.pem"
  { openssl pkey -in "$tmp/key.pem" -traditional; awk '/-----BEGIN CERTIFICATE-----/,0' "$f"; } \
    > "$seeds/StoredRecordFuzzer/$name-traditional.pem"
done
ls -l "$seeds"/*/ | grep -c '^-' | xargs echo "seed files:"
du -sh "$seeds"
