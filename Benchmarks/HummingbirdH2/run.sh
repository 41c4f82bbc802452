#!/usr/bin/env bash
# HTTP/2 throughput: server CPU time per request of one Hummingbird 2 app behind Autocert's
# TLS handler (OpenSSL and GnuTLS backends) and behind NIOSSL (Hummingbird's own
# HTTP2UpgradeChannel), measured from the server's own accounting (/proc/PID/stat
# utime+stime) around a fixed number of h2load requests. All servers run at once on loopback
# with the same ECDSA P-256 certificate and one event loop thread, pinned to one core, h2load
# to the other; rounds are interleaved (each round measures every server once, in turn, starting
# one server later than the round before, so that none always runs first).
#
# Usage: Benchmarks/HummingbirdH2/run.sh
# Environment: REQUESTS (per round, default 20000), ROUNDS (default 9), WARMUP (default 2000),
#   CLIENTS (h2load -c, default 10), STREAMS (h2load -m, default 10), SERVER_CPU (default 0),
#   CLIENT_CPU (default 1), RESULTS (a file for the table),
#   EXTRA_SERVERS ("LABEL=PATH ...": other h2-bench-server binaries, e.g. built from an older
#   commit; each adds autocert-openssl@LABEL and autocert-gnutls@LABEL to the same rounds, and
#   the ratios of this build to them are printed).
# Installs what it needs with apt-get when missing: nghttp2-client (h2load), openssl.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
requests="${REQUESTS:-20000}"
rounds="${ROUNDS:-9}"
warmup="${WARMUP:-2000}"
clients="${CLIENTS:-10}"
streams="${STREAMS:-10}"
server_cpu="${SERVER_CPU:-0}"
client_cpu="${CLIENT_CPU:-1}"
configs=(autocert-openssl autocert-gnutls niossl)
work="$(mktemp -d /tmp/hummingbird-h2-bench.XXXXXX)"
clock_ticks="$(getconf CLK_TCK)"
pids=()

cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
log() { echo "bench: $*" >&2; }

missing=()
command -v h2load >/dev/null || missing+=(nghttp2-client)
command -v openssl >/dev/null || missing+=(openssl)
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

log "building h2-bench-server (release)"
swift build -c release --package-path "$here" --product h2-bench-server >&2
server="$(swift build -c release --package-path "$here" --show-bin-path)/h2-bench-server"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" \
  -days 2 -subj /CN=bench.test -addext subjectAltName=DNS:bench.test 2>/dev/null

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
declare -A port pid binary
for config in "${configs[@]}"; do binary[$config]="$server"; done
for extra in ${EXTRA_SERVERS:-}; do
  for backend in autocert-openssl autocert-gnutls; do
    configs+=("$backend@${extra%%=*}")
    binary["$backend@${extra%%=*}"]="${extra#*=}"
  done
done
for config in "${configs[@]}"; do
  port[$config]="$(free_port)"
  taskset -c "$server_cpu" "${binary[$config]}" "${config%%@*}" "${port[$config]}" "$work/cert.pem" "$work/key.pem" > "$work/$config.log" 2>&1 &
  pid[$config]=$!
  pids+=("${pid[$config]}")
done
for config in "${configs[@]}"; do
  for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/${port[$config]}") 2>/dev/null && break; sleep 0.1; done
done

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
load() {  # load CONFIG COUNT: h2load's summary
  taskset -c "$client_cpu" h2load -n "$2" -c "$clients" -m "$streams" "https://127.0.0.1:${port[$1]}/" 2>&1
}

for config in "${configs[@]}"; do
  out="$(load "$config" "$warmup")"
  grep -Eq "succeeded, 0 (failed, 0 )?errored" <<<"$out" || { log "warm-up failed for $config:"; echo "$out" >&2; cat "$work/$config.log" >&2; exit 1; }
  grep -q "h2" <<<"$(grep -i 'Application protocol' <<<"$out")" || { log "$config did not negotiate h2"; echo "$out" >&2; exit 1; }
done

for round in $(seq 1 "$rounds"); do
  count=${#configs[@]}
  for step in $(seq 0 $((count - 1))); do
    config="${configs[$(( (round + step) % count ))]}"
    before="$(cpu_ticks "${pid[$config]}")"
    out="$(load "$config" "$requests")"
    after="$(cpu_ticks "${pid[$config]}")"
    grep -Eq "$requests succeeded, 0 (failed, 0 )?errored" <<<"$out" || { log "round $round failed for $config:"; echo "$out" >&2; exit 1; }
    rps="$(awk '/^finished in/ { print $4 }' <<<"$out")"
    echo "$config $(( after - before )) $rps $round" >> "$work/samples"
  done
  log "round $round of $rounds done"
done

median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
{
  echo "HTTP/2, $requests requests per round, $rounds rounds interleaved, h2load -c $clients -m $streams, one event loop thread"
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -r)"
  printf "%-18s %22s %14s\n" server "CPU µs per request" "requests/s"
  declare -A cpu
  for config in "${configs[@]}"; do
    cpu[$config]="$(awk -v c="$config" -v t="$clock_ticks" -v n="$requests" '$1 == c { print $2 / t / n * 1e6 }' "$work/samples" | median)"
    rps="$(awk -v c="$config" '$1 == c { print $3 }' "$work/samples" | median)"
    printf "%-18s %22.2f %14.0f\n" "$config" "${cpu[$config]}" "$rps"
  done
  # ratio A B: of the medians, and the median of the per-round ratios (robust to load that
  # changes between rounds).
  ratio() {
    local per_round
    per_round="$(awk -v a="$1" -v b="$2" '$1 == a { x[$4] = $2 } $1 == b { y[$4] = $2 } END { for (r in x) if (y[r] > 0) print x[r] / y[r] }' "$work/samples" | median)"
    printf "ratio %s / %s: %.3f of medians, %.3f per round%s\n" "$1" "$2" \
      "$(awk -v a="${cpu[$1]}" -v b="${cpu[$2]}" 'BEGIN { print a / b }')" "$per_round" "$3"
  }
  for config in autocert-openssl autocert-gnutls; do ratio "$config" niossl " (target ≤ 1.1)"; done
  for extra in ${EXTRA_SERVERS:-}; do
    for config in autocert-openssl autocert-gnutls; do ratio "$config" "$config@${extra%%=*}" " (this build / ${extra%%=*})"; done
  done
} | tee "${RESULTS:-/dev/null}"
