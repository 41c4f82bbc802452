#!/usr/bin/env bash
# Writes into the current directory a P-256 CA (ca.pem), a P-256 leaf for bench.test (leaf.pem,
# leaf.key), the chain servers send (chain.pem: leaf, then CA; a staple can be verified only
# with the issuer at hand) and a real OCSP response for it (staple.der) signed offline by
# `openssl ocsp`, with no certificate embedded (-resp_no_certs: the CA signs it, and the
# chain carries the CA), the shape Caddy's responder answers are given in the same run.
# OCSP_URL (default http://127.0.0.1:9/, where nothing answers) goes into the leaf's AIA.
set -euo pipefail
ocsp_url="${OCSP_URL:-http://127.0.0.1:9/}"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 30 \
  -subj "/CN=Bench CA" -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leaf.key -out leaf.csr -subj "/CN=bench.test" 2>/dev/null
printf 'subjectAltName=DNS:bench.test\nauthorityInfoAccess=OCSP;URI:%s\n' "$ocsp_url" > leaf.ext
openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out leaf.pem -days 10 -extfile leaf.ext 2>/dev/null
cat leaf.pem ca.pem > chain.pem
serial="$(openssl x509 -in leaf.pem -noout -serial | cut -d= -f2)"
printf 'V\t%s\t\t%s\tunknown\t/CN=bench.test\n' "$(date -u -d '+10 days' +%y%m%d%H%M%SZ)" "$serial" > index.txt
openssl ocsp -issuer ca.pem -cert leaf.pem -no_nonce -reqout req.der
openssl ocsp -index index.txt -rsigner ca.pem -rkey ca.key -CA ca.pem -resp_no_certs -reqin req.der -respout staple.der -ndays 5 2>/dev/null
openssl ocsp -respin staple.der -CAfile ca.pem -issuer ca.pem -cert leaf.pem >/dev/null 2>&1 || {
  echo "make-pki: the staple does not verify" >&2
  exit 1
}
