#!/usr/bin/env bash
# The main job, end to end on this machine: build the `ocsp` command, make a throwaway CA
# and a certificate that names a local OCSP responder, run a real `openssl ocsp` responder
# on 127.0.0.1, and look the certificate up: good, then revoked after the CA revokes it.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
echo "demo: building the ocsp command"
swift build --product ocsp
ocsp="$(swift build --show-bin-path)/ocsp"

work="$(mktemp -d /tmp/autocert-demo.XXXXXX)"
responder_pid=""
cleanup() {
  [ -n "$responder_pid" ] && kill "$responder_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"

# OpenSSL 3.0's responder binds every interface; this shim keeps it on 127.0.0.1.
cc -shared -fPIC -O2 -o loopback_bind.so "$OLDPWD/Sources/AutocertTestSupport/Resources/loopback_bind.c" -ldl
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port"

echo "demo: creating a CA and a certificate for demo.test whose AIA names $url"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem \
  -days 30 -subj "/CN=Autocert Demo CA" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leaf.key -out leaf.csr \
  -subj "/CN=demo.test" 2>/dev/null
printf 'subjectAltName=DNS:demo.test\nauthorityInfoAccess=OCSP;URI:%s\n' "$url" > leaf.ext
openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 10 \
  -extfile leaf.ext -out leaf.pem 2>/dev/null
cat leaf.pem ca.pem > chain.pem
serial=$(openssl x509 -in leaf.pem -noout -serial | cut -d= -f2)
expiry=$(date -u -d "+10 days" +%y%m%d%H%M%SZ)
printf 'V\t%s\t\t%s\tunknown\t/CN=demo.test\n' "$expiry" "$serial" > index.txt

echo "demo: starting openssl ocsp on 127.0.0.1:$port"
LD_PRELOAD="$work/loopback_bind.so" openssl ocsp -index index.txt -port "$port" -rsigner ca.pem \
  -rkey ca.key -CA ca.pem -nmin 60 -ignore_err > responder.log 2>&1 &
responder_pid=$!
for _ in $(seq 1 100); do
  grep -q "waiting for OCSP client connections" responder.log && break
  kill -0 "$responder_pid" 2>/dev/null || { cat responder.log; exit 1; }
  sleep 0.1
done
grep -q "waiting for OCSP client connections" responder.log || { echo "demo: responder did not start"; exit 1; }

echo
echo "\$ ocsp check chain.pem --out staple.der"
"$ocsp" check chain.pem --out staple.der && status=0 || status=$?
echo "(exit $status: 0 good, 1 revoked, 2 unknown, 3 no verified answer)"
echo
echo "\$ ocsp verify staple.der --cert chain.pem --json    # offline"
"$ocsp" verify staple.der --cert chain.pem --json || true

echo
echo "demo: the CA revokes the certificate (keyCompromise)"
now=$(date -u +%y%m%d%H%M%SZ)
printf 'R\t%s\t%s,keyCompromise\t%s\tunknown\t/CN=demo.test\n' "$expiry" "$now" "$serial" > index.txt.new
mv index.txt.new index.txt
# openssl ocsp re-reads a changed index between connections: one throwaway request makes it.
curl -s -o /dev/null --max-time 10 "$url/MAA%3D" || true
echo "\$ ocsp check chain.pem --json"
"$ocsp" check chain.pem --json && status=0 || status=$?
echo "(exit $status)"
