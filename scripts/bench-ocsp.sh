#!/usr/bin/env bash
# Benchmarks OCSPVerifier.verify against OpenSSL's OCSP_basic_verify on the same responses.
#
#   scripts/bench-ocsp.sh [rounds] [seconds-per-round]      (defaults 7 and 0.5)
#
# Makes three fresh responses offline with `openssl ocsp` (ECDSA P-256 issuer-signed,
# RSA-2048 issuer-signed, RSA-2048 delegated responder), builds Benchmarks/OCSPVerify in
# release and runs it. See docs/benchmarks/ocsp-verify.md.
set -euo pipefail

rounds="${1:-7}"
seconds="${2:-0.5}"
root="$(cd "$(dirname "$0")/.." && pwd)"
package="$root/Benchmarks/OCSPVerify"
work="$package/.build/fixtures"
rm -rf "$work" && mkdir -p "$work"
cd "$work"

quiet() { "$@" >/dev/null 2>&1 || { echo "bench-ocsp: failed: $*" >&2; "$@"; exit 1; }; }

# make_ca NAME KEYALG... : a self-signed CA.
make_ca() {
  local name="$1"; shift
  quiet openssl req -x509 -new -newkey "$@" -nodes -keyout "$name.key" -out "$name.pem" -days 3650 \
    -subj "/O=swift-autocert bench/CN=$name" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
}
# make_cert NAME CA EXT KEYALG... : a certificate issued by CA.
make_cert() {
  local name="$1" ca="$2" ext="$3"; shift 3
  quiet openssl req -new -newkey "$@" -nodes -keyout "$name.key" -out "$name.csr" -subj "/O=swift-autocert bench/CN=$name"
  printf '%s\n' "$ext" > "$name.ext"
  quiet openssl x509 -req -in "$name.csr" -CA "$ca.pem" -CAkey "$ca.key" -set_serial "0x$(openssl rand -hex 8)" \
    -days 365 -sha256 -extfile "$name.ext" -out "$name.pem"
}
# respond CASE CA CERT SIGNER [extra openssl ocsp flags]: a good response for CERT.
respond() {
  local case="$1" ca="$2" cert="$3" signer="$4"; shift 4
  local serial; serial="$(openssl x509 -in "$cert.pem" -noout -serial | cut -d= -f2)"
  printf 'V\t%s\t\t%s\tunknown\t%s\n' "301231235959Z" "$serial" "/O=swift-autocert bench/CN=$cert" > "$case.idx"
  quiet openssl ocsp -issuer "$ca.pem" -cert "$cert.pem" -no_nonce -reqout "$case.req.der"
  quiet openssl ocsp -index "$case.idx" -CA "$ca.pem" -rsigner "$signer.pem" -rkey "$signer.key" \
    -reqin "$case.req.der" -respout "$case.resp.der" -ndays 7 "$@"
  openssl x509 -in "$cert.pem" -outform DER -out "$case.cert.der"
  openssl x509 -in "$ca.pem" -outform DER -out "$case.issuer.der"
}

leaf_ext="basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth"
responder_ext="basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=OCSPSigning
1.3.6.1.5.5.7.48.1.5=ASN1:NULL"

make_ca ec-ca ec -pkeyopt ec_paramgen_curve:P-256
make_cert ec-leaf ec-ca "$leaf_ext" ec -pkeyopt ec_paramgen_curve:P-256
make_ca rsa-ca rsa:2048
make_cert rsa-leaf rsa-ca "$leaf_ext" rsa:2048
make_cert rsa-responder rsa-ca "$responder_ext" rsa:2048

# Issuer-signed responses carry no certificates (as real CAs send them); the delegated one
# carries its responder's certificate, which the verifier must check.
respond ecdsa-p256-issuer ec-ca ec-leaf ec-ca -resp_no_certs -resp_key_id
respond rsa2048-issuer rsa-ca rsa-leaf rsa-ca -resp_no_certs -resp_key_id
respond rsa2048-delegated rsa-ca rsa-leaf rsa-responder
for c in ecdsa-p256-issuer rsa2048-issuer rsa2048-delegated; do
  printf 'bench-ocsp: %-18s %5d bytes, %s\n' "$c" "$(stat -c %s "$c.resp.der")" \
    "$(openssl ocsp -respin "$c.resp.der" -resp_text -noverify | grep -m1 'Signature Algorithm' | sed 's/^ *//')"
done

cd "$package"
swift build -c release --product OCSPVerifyBenchmark >/dev/null
echo "bench-ocsp: $(openssl version), $(swift --version 2>/dev/null | head -1), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
"$(swift build -c release --show-bin-path)/OCSPVerifyBenchmark" "$work" "$rounds" "$seconds"
