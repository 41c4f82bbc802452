#!/usr/bin/env bash
# A cluster: three autocert-server instances on 127.0.0.1, 127.0.0.2 and 127.0.0.3 (the same
# port, as behind a load balancer) sharing one PostgreSQL, against a local Pebble and an
# openssl ocsp responder (autocert-demo-ca --postgres). Pebble's DNS (pebble-challtestsrv)
# points each name at an instance other than the one whose handshake starts the order, so the
# CA's validation reaches an instance that did not order. Every name is asked of all three
# instances at once; the script then shows one order per name, one OCSP fetch per
# certificate, and every instance serving every name with a staple that verifies.
#
#   scripts/demo-cluster.sh [openssl|gnutls]        NAMES=6 by default
set -euo pipefail
cd "$(dirname "$0")/.."
backend="${1:-openssl}"
count="${NAMES:-6}"
addresses=(127.0.0.1 127.0.0.2 127.0.0.3)
names=(); for i in $(seq 1 "$count"); do names+=("site$i.cluster.test"); done

scripts/install-deps.sh
echo "demo-cluster: building (the first build takes a few minutes)"
swift build --product autocert-server >/dev/null
swift build --product autocert-demo-ca >/dev/null
swift build --product ocsp >/dev/null
bin="$(swift build --show-bin-path)"

prefix=demo-cluster
work="$(mktemp -d /tmp/autocert-cluster-demo.XXXXXX)"
# shellcheck source=scripts/lib/processes.sh
source scripts/lib/processes.sh
trap 'stop_processes; rm -rf "$work"' EXIT

echo "demo-cluster: starting PostgreSQL, Pebble, pebble-challtestsrv and the OCSP responder"
start_demo_ca "$bin" --postgres
echo "demo-cluster: ACME directory $ACME_DIRECTORY, OCSP responder $OCSP_RESPONDER, storage $POSTGRES_URL"

domains=(); for name in "${names[@]}"; do domains+=(--domain "$name"); done
for i in 0 1 2; do
  address="${addresses[$i]}"
  "$bin/autocert-server" --backend "$backend" --host "$address" \
    --https-port "$TLSALPN01_PORT" --http-port "$HTTP01_PORT" "${domains[@]}" \
    --directory "$ACME_DIRECTORY" --ca-roots "$ACME_CA_ROOTS" --email demo@example.com --accept-tos \
    --storage "$POSTGRES_URL" --storage-password-file "$POSTGRES_PASSWORD_FILE" > "$work/server-$i.log" 2>&1 &
  remember $!
done
for i in 0 1 2; do
  wait_for "the instance on ${addresses[$i]} to listen" 60 bash -c "exec 3<>/dev/tcp/${addresses[$i]}/$TLSALPN01_PORT" \
    || { cat "$work/server-$i.log"; exit 1; }
done
echo "demo-cluster: three instances listening on ${addresses[*]} port $TLSALPN01_PORT ($backend)"

# Name k is first asked of instance k mod 3, and validated by the CA at instance k+1 mod 3.
for k in "${!names[@]}"; do
  validator="${addresses[$(( (k + 1) % 3 ))]}"
  curl -sS --max-time 5 -X POST -d "{\"host\":\"${names[$k]}\",\"addresses\":[\"$validator\"]}" "$CHALLTESTSRV_MANAGEMENT/add-a" >/dev/null
done
curl -s --max-time 10 "$PEBBLE_MANAGEMENT/roots/0" --cacert "$ACME_CA_ROOTS" > "$work/pebble-root.pem"

handshake() {  # handshake NAME ADDRESS OUT: openssl s_client asking for a staple, verifying the chain
  timeout 120 openssl s_client -connect "$2:$TLSALPN01_PORT" -servername "$1" -status \
    -CAfile "$work/pebble-root.pem" -verify_return_error < /dev/null > "$3" 2>&1 || true
}

echo
echo "demo-cluster: asking every name of all three instances at once (first handshakes: the orders)"
started=$(date +%s%N)
pids=()
for k in "${!names[@]}"; do
  for i in 0 1 2; do
    handshake "${names[$k]}" "${addresses[$(( (k + i) % 3 ))]}" "$work/first-$k-$i.txt" &
    pids+=($!)
  done
done
for pid in "${pids[@]}"; do wait "$pid"; done
echo "    ${#names[@]} names × 3 instances in $(( ($(date +%s%N) - started) / 1000000 )) ms"

echo
echo "demo-cluster: every instance, every name (a new handshake each: chain verified, staple good):"
status=0
printf '    %-22s' "name"; for address in "${addresses[@]}"; do printf '%-14s' "$address"; done; echo
for k in "${!names[@]}"; do
  printf '    %-22s' "${names[$k]}"
  for i in 0 1 2; do
    out="$work/check-$k-$i.txt"
    handshake "${names[$k]}" "${addresses[$i]}" "$out"
    if grep -q "Cert Status: good" "$out" && grep -q "Verify return code: 0 (ok)" "$out"; then
      printf '%-14s' "good"
    else
      printf '%-14s' "FAILED"; status=1
    fi
  done
  echo
done

# One staple, received over TLS, verified again offline by this package's own `ocsp` command.
timeout 30 gnutls-cli --port "$TLSALPN01_PORT" --sni-hostname "${names[0]}" --verify-hostname "${names[0]}" --ocsp \
  --x509cafile "$work/pebble-root.pem" --save-ocsp "$work/staple.der" --save-cert "$work/chain.pem" 127.0.0.3 \
  < /dev/null > "$work/gnutls.txt" 2>&1 || true
echo "\$ ocsp verify <staple ${names[0]} received from 127.0.0.3 by gnutls-cli> --cert <chain received>"
if "$bin/ocsp" verify "$work/staple.der" --cert "$work/chain.pem" | sed 's/^/    /'; then :; else status=1; fi

orders=$(cat "$work"/server-*.log | grep -c "obtained site" || true)
loaded=$(cat "$work"/server-*.log | grep -c "loaded site" || true)
fetched=$(cat "$work"/server-*.log | grep -c "stapling: fetched" || true)
ocsp_requests=$(cat "$OCSP_REQUESTS_FILE" 2>/dev/null || echo "?")
echo
echo "demo-cluster: orders (certificates obtained from the CA): $orders for ${#names[@]} names"
echo "demo-cluster: certificates loaded from PostgreSQL by the other instances: $loaded"
echo "demo-cluster: staples fetched from the responder: $fetched (the other instances load them from PostgreSQL with the certificate); OCSP requests the responder answered: $ocsp_requests"
[ "$orders" = "${#names[@]}" ] || { echo "demo-cluster: expected one order per name" >&2; status=1; }
[ "$ocsp_requests" = "${#names[@]}" ] || { echo "demo-cluster: expected one OCSP request per certificate" >&2; status=1; }
echo
echo "demo-cluster: what PostgreSQL holds (\$POSTGRES_PSQL):"
eval "$POSTGRES_PSQL" -A -t -c "'SELECT name, length(value) FROM autocert_blobs ORDER BY name'" 2>/dev/null | sed 's/^/    /' | head -40 || true

for i in 0 1 2; do
  echo
  echo "demo-cluster: log of the instance on ${addresses[$i]}:"
  grep -E "obtained|loaded|stapling|storage|error|warning" "$work/server-$i.log" | sed 's/^/    /' | tail -12 || true
done
if [ "$status" = 0 ]; then
  echo "demo-cluster: OK: ${#names[@]} names, ${#names[@]} orders, every instance serves every name with a verified staple"
else
  echo "demo-cluster: FAILED"
fi
exit "$status"
