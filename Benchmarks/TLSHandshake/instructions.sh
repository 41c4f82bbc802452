#!/usr/bin/env bash
# Instructions per stapled TLS 1.3 handshake, counted by callgrind in the server: a measure
# that does not move with the machine's load, for comparing two builds of autocert-server
# (an older commit's against this one) when a few per cent matter and CPU time is too noisy.
#
# For each binary and backend: start the server under `valgrind --tool=callgrind`, warm it up,
# zero the counters, run HANDSHAKES full handshakes with the benchmark's own client (TLS 1.3,
# status_request, no resumption), dump, and divide the instructions executed by the server
# (every thread) by the handshakes. Same certificate chain, key and staple for every server.
#
# Usage: Benchmarks/TLSHandshake/instructions.sh NEW_BINARY [BASELINE_BINARY]
# Environment: HANDSHAKES (default 400), WARMUP (default 50), RESULTS (a file for the table).
# Installs what it needs with apt-get when missing: valgrind, gcc, libssl-dev, openssl.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
new_bin="${1:?usage: instructions.sh NEW_BINARY [BASELINE_BINARY]}"
base_bin="${2:-}"
handshakes="${HANDSHAKES:-400}"
warmup="${WARMUP:-50}"
work="$(mktemp -d /tmp/tls-instructions.XXXXXX)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
log() { echo "instructions: $*" >&2; }

missing=()
command -v valgrind >/dev/null || missing+=(valgrind)
command -v gcc >/dev/null || missing+=(gcc)
command -v openssl >/dev/null || missing+=(openssl)
[ -f /usr/include/openssl/ssl.h ] || missing+=(libssl-dev)
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

gcc -O2 -Wall -o "$work/handshake_client" "$here/handshake_client.c" -lssl -lcrypto
cd "$work"
"$here/make-pki.sh"

wait_port() { # bounded: valgrind starts slowly
  for _ in $(seq 1 600); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  log "nothing listens on port $1"; return 1
}

measure() { # name binary backend → instructions per handshake
  local name=$1 binary=$2 backend=$3 port=$((20000 + RANDOM % 20000))
  valgrind --tool=callgrind --callgrind-out-file="$work/$name.%p.out" \
    "$binary" --backend "$backend" --host 127.0.0.1 --https-port "$port" --threads 1 --log-level warning \
    --cert chain.pem --key leaf.key --staple staple.der 2>"$work/$name.log" &
  local pid=$!
  pids+=("$pid")
  wait_port "$port"
  "$work/handshake_client" 127.0.0.1 "$port" bench.test "$warmup" expect-staple >/dev/null
  callgrind_control --zero "$pid" >/dev/null
  local result
  result="$("$work/handshake_client" 127.0.0.1 "$port" bench.test "$handshakes" expect-staple)"
  callgrind_control --dump="$name" "$pid" >/dev/null
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  case "$result" in *"failures=0"*) ;; *) log "$name: $result"; return 1 ;; esac
  # The dump written after the zeroing holds the batch alone; sum its totals over every thread.
  local total
  total="$(grep -h '^summary:' $(grep -l "^desc: Trigger: Client Request: $name" "$work/$name".*) | awk '{ s += $2 } END { print s }')"
  awk -v t="$total" -v n="$handshakes" 'BEGIN { printf "%.0f", t / n }'
}

declare -A per
names=()
for backend in openssl gnutls; do
  per[$backend-new]="$(measure "$backend-new" "$new_bin" "$backend")"
  names+=("$backend-new")
  log "$backend-new: ${per[$backend-new]} instructions per handshake"
  if [ -n "$base_bin" ]; then
    per[$backend-base]="$(measure "$backend-base" "$base_bin" "$backend")"
    names+=("$backend-base")
    log "$backend-base: ${per[$backend-base]} instructions per handshake"
  fi
done

{
  echo "| server | instructions per stapled handshake ($handshakes after $warmup warm-up, callgrind) |"
  echo "|---|---:|"
  for name in "${names[@]}"; do echo "| $name | ${per[$name]} |"; done
  if [ -n "$base_bin" ]; then
    echo
    echo "| ratio | new / baseline |"
    echo "|---|---:|"
    for backend in openssl gnutls; do
      echo "| $backend | $(awk -v a="${per[$backend-new]}" -v b="${per[$backend-base]}" 'BEGIN { printf "%.4f", a / b }') |"
    done
  fi
  echo
  echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(openssl version); $(valgrind --version)"
} | tee "${RESULTS:-/dev/null}"
