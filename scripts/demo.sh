#!/usr/bin/env bash
# The main job: a real HTTPS server with automatic certificates and OCSP stapling, against a
# local ACME CA. Starts Pebble + pebble-challtestsrv + an openssl ocsp responder in step with
# Pebble (autocert-demo-ca), runs autocert-server (or, with `hummingbird`, the Hummingbird 2
# example autocert-hummingbird) for two names, and shows real clients receiving each
# certificate with a staple that verifies, over HTTP/2. Everything binds 127.0.0.1.
#
#   scripts/demo.sh [hummingbird] [openssl|gnutls]
set -euo pipefail
cd "$(dirname "$0")/.."
server=autocert-server
if [ "${1:-}" = hummingbird ]; then server=autocert-hummingbird; shift; fi
backend="${1:-openssl}"
names=(a.demo.test b.demo.test)

scripts/install-deps.sh
echo "demo: building (the first build takes a few minutes)"
swift build --product "$server" >/dev/null
swift build --product autocert-demo-ca >/dev/null
swift build --product ocsp >/dev/null
bin="$(swift build --show-bin-path)"

prefix=demo
work="$(mktemp -d /tmp/autocert-https-demo.XXXXXX)"
# shellcheck source=scripts/lib/processes.sh
source scripts/lib/processes.sh
trap 'stop_processes; rm -rf "$work"' EXIT

echo "demo: starting Pebble, pebble-challtestsrv and the OCSP responder"
start_demo_ca "$bin"
echo "demo: ACME directory $ACME_DIRECTORY, OCSP responder $OCSP_RESPONDER"

# Pebble validates tls-alpn-01 on TLSALPN01_PORT and http-01 on HTTP01_PORT: the server
# listens there, as a real server listens on 443 and 80.
echo "demo: starting $server ($backend) for ${names[*]}"
domains=(); for name in "${names[@]}"; do domains+=(--domain "$name"); done
"$bin/$server" --backend "$backend" --host 127.0.0.1 \
  --https-port "$TLSALPN01_PORT" --http-port "$HTTP01_PORT" "${domains[@]}" \
  --directory "$ACME_DIRECTORY" --ca-roots "$ACME_CA_ROOTS" --email demo@example.com --accept-tos \
  --storage "$work/storage" > "$work/server.log" 2>&1 &
remember $!
wait_for "$server to listen" 60 bash -c "exec 3<>/dev/tcp/127.0.0.1/$TLSALPN01_PORT" || { cat "$work/server.log"; exit 1; }

curl -s --max-time 10 "$PEBBLE_MANAGEMENT/roots/0" --cacert "$ACME_CA_ROOTS" > "$work/pebble-root.pem"
status=0
for name in "${names[@]}"; do
  echo
  echo "\$ openssl s_client -connect 127.0.0.1:$TLSALPN01_PORT -servername $name -status   # first handshake: issues"
  started=$(date +%s%N)
  timeout 90 openssl s_client -connect "127.0.0.1:$TLSALPN01_PORT" -servername "$name" -status \
    -CAfile "$work/pebble-root.pem" -verify_return_error < /dev/null > "$work/s_client-$name.txt" 2>&1 || true
  elapsed_ms=$(( ($(date +%s%N) - started) / 1000000 ))
  grep -E "^(subject|issuer)=|OCSP Response Status|Cert Status|This Update|Next Update|Verify return code" "$work/s_client-$name.txt" | sed 's/^/    /'
  grep -q "Cert Status: good" "$work/s_client-$name.txt" || status=1
  echo "    first ClientHello to stapled handshake (ACME order, tls-alpn-01, staple fetch): ${elapsed_ms} ms"

  # gnutls-cli saves the staple it received; our ocsp command verifies it offline.
  timeout 30 gnutls-cli --port "$TLSALPN01_PORT" --sni-hostname "$name" --verify-hostname "$name" --ocsp --x509cafile "$work/pebble-root.pem" \
    --save-ocsp "$work/staple-$name.der" --save-cert "$work/chain-$name.pem" 127.0.0.1 < /dev/null > "$work/gnutls-$name.txt" 2>&1 || true
  echo "\$ ocsp verify <staple received by gnutls-cli> --cert <chain received>"
  if "$bin/ocsp" verify "$work/staple-$name.der" --cert "$work/chain-$name.pem" | sed 's/^/    /'; then :; else status=1; fi

  echo "\$ curl --http2 --cert-status https://$name:$TLSALPN01_PORT/"
  if curl -sS --max-time 30 --http2 --cert-status --cacert "$work/pebble-root.pem" --resolve "$name:$TLSALPN01_PORT:127.0.0.1" \
    -w '(HTTP %{http_version})\n' "https://$name:$TLSALPN01_PORT/" | sed 's/^/    /'; then :; else status=1; fi
done

echo
echo "demo: server log (one line per certificate, staple and failure):"
sed 's/^/    /' "$work/server.log" | tail -20
if [ "$status" = 0 ]; then echo "demo: OK: both names served with a verified staple"; else echo "demo: FAILED"; fi
exit "$status"
